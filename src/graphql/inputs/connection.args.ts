import { IsInt, IsOptional, MaxLength, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';

/** Relay paging arguments; the maximum page size is checked against configuration in access/keyset.ts. */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: 'Number of items to return from the start (after `after`)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor' })
  @IsOptional()
  @MaxLength(1024)
  after?: string | null;

  @Field(() => Int, { nullable: true, description: 'Number of items to return from the end (before `before`)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items before this cursor' })
  @IsOptional()
  @MaxLength(1024)
  before?: string | null;
}
