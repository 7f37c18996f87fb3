import { Arg, Ctx, Field, FieldResolver, ID, InputType, Mutation, Resolver, Root } from 'type-graphql';
import { ConnectorInstance, Site, Tenant, VendorSite } from '../../entities';
import { RequestContext } from '../context';
import { keyOf } from '../types/global-id';

@InputType({ description: 'Input of mapVendorSite' })
export class MapVendorSiteInput {
  @Field(() => ID, { description: 'The vendor site (ConnectorInstance.vendorSites)' })
  vendorSiteId: string;

  @Field(() => ID, { nullable: true, description: "Tenant the site's devices belong to; null leaves the site unmapped (its devices wait)" })
  tenantId?: string | null;

  @Field(() => ID, { nullable: true, description: "A site of that tenant for the devices; null lets the vendor site's name pick one" })
  siteId?: string | null;

  @Field({ nullable: true, description: "true: never import this site's devices (e.g. the MSP's own test site); defaults to false" })
  ignored?: boolean;
}

@Resolver(() => VendorSite)
export class VendorSiteResolver {
  @FieldResolver(() => Tenant, { nullable: true, description: "The tenant the site's devices belong to; null while unmapped" })
  tenant(@Root() site: VendorSite, @Ctx() { loaders }: RequestContext) {
    return site.tenantId ? loaders.tenant.load(site.tenantId) : null;
  }

  @FieldResolver(() => Site, { nullable: true, description: "The patchgraph site chosen for the site's devices, if any" })
  site(@Root() site: VendorSite, @Ctx() { loaders }: RequestContext) {
    return site.siteId ? loaders.site.load(site.siteId) : null;
  }

  @FieldResolver(() => Boolean, { description: "Indicates the site's devices are waiting for a mapping: neither mapped to a tenant nor ignored, nor the vendor's site for deleted devices" })
  unmapped(@Root() site: VendorSite): boolean {
    return !site.tenantId && !site.ignored && !site.deletedDevicesSite;
  }
  @Mutation(() => VendorSite, {
    description:
      "Maps a site of an MSP-wide vendor account to a tenant (or ignores it); applies from the next sync. The vendor's site for deleted devices (deletedDevicesSite) is refused",
  })
  mapVendorSite(@Arg('input', { description: 'The mapping' }) input: MapVendorSiteInput, @Ctx() { access }: RequestContext) {
    return access.connectorAdmin.mapVendorSite({
      id: keyOf('VendorSite', input.vendorSiteId, 'input.vendorSiteId'),
      tenantId: input.tenantId ? keyOf('Tenant', input.tenantId, 'input.tenantId') : null,
      siteId: input.siteId ? keyOf('Site', input.siteId, 'input.siteId') : null,
      ignored: input.ignored ?? false,
    });
  }
}

@Resolver(() => ConnectorInstance)
export class ConnectorInstanceSitesResolver {
  @FieldResolver(() => [VendorSite], {
    description:
      "For an MSP-wide instance: the sites of the vendor account and where their devices go, sites waiting for a mapping first. The vendor's own site for deleted devices is listed too (deletedDevicesSite), never waiting",
  })
  vendorSites(
    @Root() instance: ConnectorInstance,
    @Ctx() { access }: RequestContext,
    @Arg('unmappedOnly', { defaultValue: false, description: 'Only sites whose devices wait for a mapping' }) unmappedOnly: boolean,
  ) {
    return access.connectorAdmin.vendorSites(instance, unmappedOnly);
  }
}
