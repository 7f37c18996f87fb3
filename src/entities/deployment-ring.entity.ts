import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { primaryUuid, timestamp, uuid } from './columns';

/**
 * A stage of a staged rollout: pilot machines first, broad last, ordered by position within the tenant. The next
 * ring may start once this one meets its promotion criteria (src/change/ring-promotion.ts).
 */
@Entity('deployment_ring')
@Index('uq_deployment_ring_position', ['tenantId', 'position'], { unique: true })
export class DeploymentRing {
  @PrimaryColumn(primaryUuid())
  id: string;

  @Column(uuid())
  tenantId: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** 1 for the first ring (pilot), rising towards the broadest. */
  @Column({ type: 'int' })
  position: number;

  /** Member asset ids. A ring holds tens to hundreds of machines, read whole whenever it is used. */
  @Column({ type: 'simple-json' })
  assetIds: string[];

  /** Share of the ring's reporting members that must have the change's updates installed, 0 to 1. */
  @Column({ type: 'double' })
  minSuccessRate: number;

  /** Members that must have reported the updates installed. */
  @Column({ type: 'int' })
  minDevices: number;

  /** Hours the ring must run with the updates, after its last install, before the next ring starts. */
  @Column({ type: 'int' })
  soakHours: number;

  @Column(timestamp())
  createdAt: Date;

  @Column({ type: 'varchar', length: 200 })
  createdBy: string;
}
