/**
 * Simulated DynamoDB, as the handlers reach it: through the document client
 * (`@aws-sdk/lib-dynamodb`), so items are plain objects. Conditions, updates,
 * key conditions and filters go through the expression engine, with
 * DynamoDB's validation (reserved words, unused placeholders...).
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DeleteCommandInput,
  type GetCommandInput,
  type PutCommandInput,
  type QueryCommandInput,
  type ScanCommandInput,
  type TranslateConfig,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { refuseUnimplemented, serve, type ApiEnvironment, type SimulatedApi } from './api-call.ts';
import { nameFromArnOrName, tableArn } from './arns.ts';
import { ExpressionError, invalid, unsupported } from './dynamodb-expression-error.ts';
import {
  analyzeKeyCondition,
  applyUpdate,
  evaluateCondition,
  parseCondition,
  parseProjection,
  parseUpdate,
  Placeholders,
  project,
  updateTargets,
  type Condition,
} from './dynamodb-expressions.ts';
import { fromClient, toAttributeValues, toClient, type PlainRecord } from './dynamodb-marshalling.ts';
import { SimTable, type TableKeys } from './dynamodb-table.ts';
import { typeOf, type DynamoItem, type DynamoValue, type Path } from './dynamodb-values.ts';
import { modeledError, SimulationNotImplemented, unmodeledError } from './sdk-errors.ts';

/** A document client call: its input and the client's marshalling options. */
interface DocRequest<I> {
  input: I;
  translate: TranslateConfig | undefined;
}

/** The parameters every item request may carry. */
interface ExpressionParameters {
  TableName?: string | undefined;
  ExpressionAttributeNames?: Record<string, string> | undefined;
  ExpressionAttributeValues?: Record<string, unknown> | undefined;
  ReturnConsumedCapacity?: string | undefined;
}

type Output = Record<string, unknown>;

/** The key schema of the deployer's table: `pk` and `sk`, both strings. */
export const DEFAULT_TABLE_KEYS: TableKeys = { partitionKey: 'pk', sortKey: 'sk' };

/** Parameters of the old, pre-expression API: valid DynamoDB, not simulated. */
const LEGACY_PARAMETERS = [
  'Expected',
  'AttributeUpdates',
  'ConditionalOperator',
  'AttributesToGet',
  'KeyConditions',
  'QueryFilter',
  'ScanFilter',
  'Segment',
  'TotalSegments',
] as const;

function pick(item: DynamoItem, names: string[]): DynamoItem {
  return Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n] as DynamoValue]));
}

/** The simulated DynamoDB tables of the world. */
export class SimDynamoDb implements SimulatedApi {
  private readonly tables = new Map<string, SimTable>();

  public constructor(
    private readonly env: ApiEnvironment,
    /** The table `items()` and friends use when none is named. */
    public readonly defaultTable: string,
    keys: TableKeys = DEFAULT_TABLE_KEYS,
  ) {
    this.createTable(defaultTable, keys);
  }

  /** Create an empty table. */
  public createTable(name: string, keys: TableKeys = DEFAULT_TABLE_KEYS): void {
    if (!this.tables.has(name)) this.tables.set(name, new SimTable(name, { ...keys }));
  }

  /** Every item of a table, ordered by key, as plain objects. */
  public items(table = this.defaultTable): PlainRecord[] {
    return this.tableOrThrow(table).all().map((item) => toClient(item, undefined));
  }

  /** One item by key, as a plain object. */
  public getItem(key: PlainRecord, table = this.defaultTable): PlainRecord | undefined {
    const found = this.tableOrThrow(table).get(fromClient(key, undefined));
    return found === undefined ? undefined : toClient(found, undefined);
  }

  /** Store an item directly (test set-up). */
  public putItem(item: PlainRecord, table = this.defaultTable): void {
    const sim = this.tableOrThrow(table);
    const normalized = fromClient(item, undefined);
    sim.checkItem(normalized);
    sim.put(normalized);
  }

  /** Install the DynamoDBDocumentClient mock (and refuse the raw client); returns the function that removes them. */
  public install(): () => void {
    const doc = mockClient(DynamoDBDocumentClient);
    refuseUnimplemented(doc, this.env, 'dynamodb', 'DynamoDB document client');
    const operation = <I extends ExpressionParameters>(
      action: string,
      run: (request: DocRequest<I>) => Output,
    ): ((input: I, getClient: () => DynamoDBDocumentClient) => Promise<Output>) => {
      const served = serve(this.env, DynamoDBServiceException, {
        action,
        authorize: (request: DocRequest<I>) => [{ action, resources: [this.arnOf(request.input.TableName)] }],
        run: (request: DocRequest<I>) => this.translateErrors(() => run(request)),
      });
      return (input, getClient) => served({ input, translate: getClient().config.translateConfig });
    };
    doc.on(GetCommand).callsFake(operation('dynamodb:GetItem', (r: DocRequest<GetCommandInput>) => this.get(r)));
    doc.on(PutCommand).callsFake(operation('dynamodb:PutItem', (r: DocRequest<PutCommandInput>) => this.put(r)));
    doc
      .on(UpdateCommand)
      .callsFake(operation('dynamodb:UpdateItem', (r: DocRequest<UpdateCommandInput>) => this.update(r)));
    doc
      .on(DeleteCommand)
      .callsFake(operation('dynamodb:DeleteItem', (r: DocRequest<DeleteCommandInput>) => this.delete(r)));
    doc.on(QueryCommand).callsFake(operation('dynamodb:Query', (r: DocRequest<QueryCommandInput>) => this.query(r)));
    doc.on(ScanCommand).callsFake(operation('dynamodb:Scan', (r: DocRequest<ScanCommandInput>) => this.scan(r)));
    // The handlers use the document client; a raw client call would bypass the simulation.
    const raw = mockClient(DynamoDBClient);
    refuseUnimplemented(raw, this.env, 'dynamodb', 'raw DynamoDBClient (use DynamoDBDocumentClient)');
    return () => {
      doc.restore();
      raw.restore();
    };
  }

  // ---- shared request handling ----

  private tableOrThrow(nameOrArn: string | undefined): SimTable {
    const table = this.tables.get(nameFromArnOrName(nameOrArn ?? ''));
    if (table === undefined) throw modeledError(ResourceNotFoundException, 'Requested resource not found', {});
    return table;
  }

  private arnOf(nameOrArn: string | undefined): string {
    const name = nameOrArn ?? '';
    return name.startsWith('arn:') ? name : tableArn(this.env, name);
  }

  private translateErrors<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      if (error.kind === 'unsupported') throw new SimulationNotImplemented(`simulated DynamoDB: ${error.message}`);
      throw unmodeledError(DynamoDBServiceException, { name: 'ValidationException', message: error.message });
    }
  }

  private refuseLegacy(input: object): void {
    for (const parameter of LEGACY_PARAMETERS) {
      if (parameter in input && (input as Record<string, unknown>)[parameter] !== undefined) {
        throw unsupported(`the legacy parameter ${parameter} is not simulated; use expressions`);
      }
    }
    if ('IndexName' in input && (input as Record<string, unknown>).IndexName !== undefined) {
      throw unsupported('secondary indexes are not simulated (IndexName)');
    }
  }

  /**
   * The placeholders of a request, checked the way DynamoDB checks them.
   * `expressions` says which kinds of placeholder the request's expressions
   * can use (a projection takes names but no values).
   */
  private placeholders(
    input: ExpressionParameters,
    translate: TranslateConfig | undefined,
    expressions: { withNames: boolean; withValues: boolean },
  ): Placeholders {
    const names = input.ExpressionAttributeNames;
    const values = input.ExpressionAttributeValues;
    if (names !== undefined) {
      if (!expressions.withNames) throw invalid('ExpressionAttributeNames can only be specified when using expressions');
      if (Object.keys(names).length === 0) throw invalid('ExpressionAttributeNames must not be empty');
    }
    if (values !== undefined) {
      if (!expressions.withValues) throw invalid('ExpressionAttributeValues can only be specified when using expressions');
      if (Object.keys(values).length === 0) throw invalid('ExpressionAttributeValues must not be empty');
    }
    return new Placeholders(names ?? {}, values === undefined ? {} : fromClient(values, translate));
  }

  private condition(
    source: string | undefined,
    kind: 'ConditionExpression' | 'FilterExpression',
    placeholders: Placeholders,
  ): Condition | undefined {
    return source === undefined ? undefined : parseCondition(source, kind, placeholders);
  }

  private projection(source: string | undefined, placeholders: Placeholders): Path[] | undefined {
    return source === undefined ? undefined : parseProjection(source, placeholders);
  }

  private conditionFailed(old: DynamoItem | undefined, returnValues: string | undefined): Error {
    // The document client does not unmarshall errors: the old item arrives as AttributeValues, as here.
    const extra = returnValues === 'ALL_OLD' && old !== undefined ? { Item: toAttributeValues(old) } : {};
    return modeledError(ConditionalCheckFailedException, 'The conditional request failed', extra);
  }

  private returnValues(value: string | undefined, allowed: readonly string[]): string {
    const returnValues = value ?? 'NONE';
    if (!allowed.includes(returnValues)) throw invalid('Return values set to invalid value');
    return returnValues;
  }

  private consumed(input: ExpressionParameters, table: SimTable, output: Output): Output {
    if (input.ReturnConsumedCapacity === 'TOTAL' || input.ReturnConsumedCapacity === 'INDEXES') {
      output.ConsumedCapacity = { TableName: table.name, CapacityUnits: 1 };
    }
    return output;
  }

  // ---- item operations ----

  private get({ input, translate }: DocRequest<GetCommandInput>): Output {
    const table = this.tableOrThrow(input.TableName);
    this.refuseLegacy(input);
    const key = fromClient(input.Key ?? {}, translate);
    table.checkKey(key);
    const placeholders = this.placeholders(input, translate, {
      withValues: false,
      withNames: input.ProjectionExpression !== undefined,
    });
    const projection = this.projection(input.ProjectionExpression, placeholders);
    placeholders.assertAllUsed();
    const found = table.get(key);
    const output: Output = {};
    if (found !== undefined) {
      output.Item = toClient(projection === undefined ? found : project(found, projection), translate);
    }
    return this.consumed(input, table, output);
  }

  private put({ input, translate }: DocRequest<PutCommandInput>): Output {
    const table = this.tableOrThrow(input.TableName);
    this.refuseLegacy(input);
    const item = fromClient(input.Item ?? {}, translate);
    table.checkItem(item);
    const hasCondition = input.ConditionExpression !== undefined;
    const placeholders = this.placeholders(input, translate, { withValues: hasCondition, withNames: hasCondition });
    const condition = this.condition(input.ConditionExpression, 'ConditionExpression', placeholders);
    placeholders.assertAllUsed();
    const returnValues = this.returnValues(input.ReturnValues, ['NONE', 'ALL_OLD']);
    const old = table.get(item);
    if (condition !== undefined && !evaluateCondition(condition, old)) {
      throw this.conditionFailed(old, input.ReturnValuesOnConditionCheckFailure);
    }
    table.put(item);
    const output: Output = {};
    if (returnValues === 'ALL_OLD' && old !== undefined) output.Attributes = toClient(old, translate);
    return this.consumed(input, table, output);
  }

  private update({ input, translate }: DocRequest<UpdateCommandInput>): Output {
    const table = this.tableOrThrow(input.TableName);
    this.refuseLegacy(input);
    const key = fromClient(input.Key ?? {}, translate);
    table.checkKey(key);
    const expressions = input.UpdateExpression !== undefined || input.ConditionExpression !== undefined;
    const placeholders = this.placeholders(input, translate, { withValues: expressions, withNames: expressions });
    const actions =
      input.UpdateExpression === undefined
        ? { set: [], remove: [], add: [], delete: [] }
        : parseUpdate(input.UpdateExpression, placeholders);
    const condition = this.condition(input.ConditionExpression, 'ConditionExpression', placeholders);
    placeholders.assertAllUsed();
    for (const path of updateTargets(actions)) {
      const first = path[0];
      if (first?.kind === 'key' && table.keyNames().includes(first.name)) {
        throw invalid(
          `One or more parameter values were invalid: Cannot update attribute ${first.name}. This attribute is part of the key`,
        );
      }
    }
    const returnValues = this.returnValues(input.ReturnValues, [
      'NONE',
      'ALL_OLD',
      'UPDATED_OLD',
      'ALL_NEW',
      'UPDATED_NEW',
    ]);
    const old = table.get(key);
    if (condition !== undefined && !evaluateCondition(condition, old)) {
      throw this.conditionFailed(old, input.ReturnValuesOnConditionCheckFailure);
    }
    const { item, updated } = applyUpdate(actions, old ?? key);
    table.checkItem(item);
    table.put(item);
    const output: Output = {};
    const attributes =
      returnValues === 'ALL_OLD'
        ? old
        : returnValues === 'ALL_NEW'
          ? item
          : returnValues === 'UPDATED_OLD'
            ? old && pick(old, updated)
            : returnValues === 'UPDATED_NEW'
              ? pick(item, updated)
              : undefined;
    if (attributes !== undefined && Object.keys(attributes).length > 0) {
      output.Attributes = toClient(attributes, translate);
    }
    return this.consumed(input, table, output);
  }

  private delete({ input, translate }: DocRequest<DeleteCommandInput>): Output {
    const table = this.tableOrThrow(input.TableName);
    this.refuseLegacy(input);
    const key = fromClient(input.Key ?? {}, translate);
    table.checkKey(key);
    const hasCondition = input.ConditionExpression !== undefined;
    const placeholders = this.placeholders(input, translate, { withValues: hasCondition, withNames: hasCondition });
    const condition = this.condition(input.ConditionExpression, 'ConditionExpression', placeholders);
    placeholders.assertAllUsed();
    const returnValues = this.returnValues(input.ReturnValues, ['NONE', 'ALL_OLD']);
    const old = table.get(key);
    if (condition !== undefined && !evaluateCondition(condition, old)) {
      throw this.conditionFailed(old, input.ReturnValuesOnConditionCheckFailure);
    }
    table.delete(key);
    const output: Output = {};
    if (returnValues === 'ALL_OLD' && old !== undefined) output.Attributes = toClient(old, translate);
    return this.consumed(input, table, output);
  }

  // ---- reads of many items ----

  private query({ input, translate }: DocRequest<QueryCommandInput>): Output {
    const table = this.tableOrThrow(input.TableName);
    this.refuseLegacy(input);
    if (input.KeyConditionExpression === undefined) {
      throw invalid('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
    }
    const placeholders = this.placeholders(input, translate, { withValues: true, withNames: true });
    const keyCondition = analyzeKeyCondition(
      parseCondition(input.KeyConditionExpression, 'KeyConditionExpression', placeholders),
      table.keys,
    );
    const filter = this.condition(input.FilterExpression, 'FilterExpression', placeholders);
    const projection = this.projection(input.ProjectionExpression, placeholders);
    placeholders.assertAllUsed();
    if (typeOf(keyCondition.partitionValue) !== (table.keys.partitionKeyType ?? 'S')) {
      throw invalid('One or more parameter values were invalid: Condition parameter type does not match schema type');
    }
    const matching = table
      .partition(keyCondition.partitionValue)
      .filter((item) => keyCondition.sortMatches?.(item[table.keys.sortKey ?? '']) ?? true);
    if (input.ScanIndexForward === false) matching.reverse();
    return this.page(table, matching, input, translate, filter, projection, input.ScanIndexForward !== false);
  }

  private scan({ input, translate }: DocRequest<ScanCommandInput>): Output {
    const table = this.tableOrThrow(input.TableName);
    this.refuseLegacy(input);
    const withNames = input.FilterExpression !== undefined || input.ProjectionExpression !== undefined;
    const withValues = input.FilterExpression !== undefined;
    const placeholders = this.placeholders(input, translate, { withValues, withNames });
    const filter = this.condition(input.FilterExpression, 'FilterExpression', placeholders);
    const projection = this.projection(input.ProjectionExpression, placeholders);
    placeholders.assertAllUsed();
    return this.page(table, table.all(), input, translate, filter, projection, true);
  }

  /** ExclusiveStartKey, Limit (counted before the filter, as in DynamoDB), filter, projection, Select. */
  private page(
    table: SimTable,
    ordered: DynamoItem[],
    input: QueryCommandInput | ScanCommandInput,
    translate: TranslateConfig | undefined,
    filter: Condition | undefined,
    projection: Path[] | undefined,
    forward: boolean,
  ): Output {
    const { Limit: limit, Select: select } = input;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
      throw invalid(
        `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: ` +
          'Member must have value greater than or equal to 1',
      );
    }
    if (select !== undefined && !['ALL_ATTRIBUTES', 'COUNT', 'SPECIFIC_ATTRIBUTES'].includes(select)) {
      throw invalid(`Select ${select} is only valid when querying an index`);
    }
    if (select === 'SPECIFIC_ATTRIBUTES' && projection === undefined) {
      throw invalid('Select SPECIFIC_ATTRIBUTES requires a ProjectionExpression');
    }
    let items = ordered;
    if (input.ExclusiveStartKey !== undefined) {
      const start = fromClient(input.ExclusiveStartKey, translate);
      table.checkKey(start);
      items = items.filter((item) => (forward ? 1 : -1) * table.compareKeys(item, start) > 0);
    }
    const evaluated = limit === undefined ? items : items.slice(0, limit);
    const matched = filter === undefined ? evaluated : evaluated.filter((item) => evaluateCondition(filter, item));
    const output: Output = { Count: matched.length, ScannedCount: evaluated.length };
    if (select !== 'COUNT') {
      output.Items = matched.map((item) =>
        toClient(projection === undefined ? item : project(item, projection), translate),
      );
    }
    // DynamoDB does not look ahead: stopping at Limit always returns a LastEvaluatedKey.
    const last = evaluated[evaluated.length - 1];
    if (limit !== undefined && evaluated.length === limit && last !== undefined) {
      output.LastEvaluatedKey = toClient(table.keyOf(last), translate);
    }
    return this.consumed(input, table, output);
  }
}
