import { ClassType, Field, Int, ObjectType } from 'type-graphql';
import { Page } from '../../access/keyset';

@ObjectType({ description: 'Information about pagination in a connection' })
export class PageInfo {
  @Field({ description: 'Indicates there are more items after the last one in this page' })
  hasNextPage: boolean;

  @Field({ description: 'Indicates there are more items before the first one in this page' })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first item in this page' })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last item in this page' })
  endCursor: string | null;
}

export interface ConnectionShape<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: PageInfo;
  totalCount(): Promise<number>;
}

/**
 * Builds the Relay connection and edge types for one node type. totalCount is a method, so the COUNT query
 * runs only when a client asks for it.
 */
export function Connection<T extends object>(nodeType: ClassType<T>, name = nodeType.name) {
  @ObjectType(`${name}Edge`, { description: `An edge in a connection of ${name} objects` })
  class Edge {
    @Field({ description: 'Cursor of this item, for after/before' })
    cursor: string;

    @Field(() => nodeType, { description: 'The item at the end of the edge' })
    node: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} objects` })
  class ConnectionType implements ConnectionShape<T> {
    private page: Page<T>;
    private edgeList?: Edge[];

    // Built when first read: a cursor per row (JSON, then base64) and an edge each, which a page that asks only for
    // nodes and pageInfo (the portal's) never reads.
    @Field(() => [Edge], { description: 'The items in this page, each with its cursor' })
    get edges(): Edge[] {
      return (this.edgeList ??= this.page.rows.map((node) => Object.assign(new Edge(), { cursor: this.page.cursorOf(node), node })));
    }

    @Field(() => [nodeType], { description: 'The items in this page' })
    nodes: T[];

    @Field(() => PageInfo, { description: 'Information to fetch further pages' })
    pageInfo: PageInfo;

    private count: () => Promise<number>;

    @Field(() => Int, { description: 'Number of items matching the filter, over all pages' })
    totalCount(): Promise<number> {
      return this.count();
    }

    static of(page: Page<T>, count: () => Promise<number>): ConnectionType {
      const c = new ConnectionType();
      c.page = page;
      c.nodes = page.rows;
      const { rows } = page;
      c.pageInfo = Object.assign(new PageInfo(), {
        hasNextPage: page.hasNextPage,
        hasPreviousPage: page.hasPreviousPage,
        startCursor: rows.length ? page.cursorOf(rows[0]) : null,
        endCursor: rows.length ? page.cursorOf(rows[rows.length - 1]) : null,
      });
      c.count = count;
      return c;
    }
  }
  return ConnectionType;
}
