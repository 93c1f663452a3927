import {
  OperationNodeTransformer,
  PrimitiveValueListNode,
  ValueNode,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

class BooleanParamTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const value = super.transformValue(node);
    return typeof value.value === 'boolean' ? ValueNode.create(value.value ? 1 : 0) : value;
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return PrimitiveValueListNode.create(node.values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)));
  }
}

/**
 * better-sqlite3 cannot bind booleans and returns 0/1: this plugin binds them as integers and
 * turns the named boolean columns back into booleans, so repositories see what PostgreSQL gives.
 */
export class SqliteBooleanPlugin implements KyselyPlugin {
  private readonly transformer = new BooleanParamTransformer();

  constructor(private readonly booleanColumns: ReadonlySet<string>) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const rows = args.result.rows;
    if (rows.length === 0) return args.result;
    // every row of a result has the same columns: find the boolean ones once
    const columns = [...this.booleanColumns].filter((c) => c in rows[0]!);
    for (const row of rows) {
      for (const column of columns) {
        const v = row[column];
        if (v === 0 || v === 1) row[column] = v === 1;
      }
    }
    return args.result;
  }
}
