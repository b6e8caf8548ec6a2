/**
 * A recursive-descent parser of DynamoDB expressions (condition, key
 * condition, filter, update, projection) into small syntax trees. It applies
 * the checks DynamoDB applies before looking at any item: syntax, reserved
 * words, undefined placeholders, operand types of literals, overlapping
 * update paths.
 */
import { invalid } from './dynamodb-expression-error.ts';
import { isReservedWord } from './dynamodb-reserved-words.ts';
import { near, tokenize, type ExpressionKind, type Token } from './dynamodb-tokens.ts';
import { compareValues, describeValue, pathText, typeOf, type DynamoValue, type Path } from './dynamodb-values.ts';

/** Something a condition compares: a document path, a `:value`, or `size(path)`. */
export type Operand =
  | { kind: 'path'; path: Path }
  | { kind: 'value'; placeholder: string; value: DynamoValue }
  | { kind: 'size'; path: Path };

/** Comparison operators. */
export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

/** A condition (ConditionExpression, KeyConditionExpression, FilterExpression). */
export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; condition: Condition }
  | { kind: 'compare'; comparator: Comparator; left: Operand; right: Operand }
  | { kind: 'between'; operand: Operand; low: Operand; high: Operand }
  | { kind: 'in'; operand: Operand; candidates: Operand[] }
  | { kind: 'attribute_exists' | 'attribute_not_exists'; path: Path }
  | { kind: 'attribute_type'; path: Path; type: Operand }
  | { kind: 'begins_with' | 'contains'; path: Path; operand: Operand };

/** The right-hand side of a SET action. */
export type SetValue =
  | Operand
  | { kind: 'if_not_exists'; path: Path; fallback: SetValue }
  | { kind: 'list_append'; left: SetValue; right: SetValue }
  | { kind: 'arithmetic'; operator: '+' | '-'; left: SetValue; right: SetValue };

/** A parsed UpdateExpression: its clauses, in DynamoDB's order of application. */
export interface UpdateActions {
  set: Array<{ path: Path; value: SetValue }>;
  remove: Path[];
  add: Array<{ path: Path; value: DynamoValue }>;
  delete: Array<{ path: Path; value: DynamoValue }>;
}

const COMPARATORS: ReadonlySet<string> = new Set(['=', '<>', '<', '<=', '>', '>=']);
const CONDITION_FUNCTIONS: ReadonlySet<string> = new Set([
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
]);
const UPDATE_FUNCTIONS: ReadonlySet<string> = new Set(['if_not_exists', 'list_append']);
const ALL_FUNCTIONS: ReadonlySet<string> = new Set([...CONDITION_FUNCTIONS, ...UPDATE_FUNCTIONS, 'size']);
const TYPE_NAMES: ReadonlySet<string> = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS']);
const SCALAR_TYPES: ReadonlySet<string> = new Set(['S', 'N', 'B']);
const PREFIX_TYPES: ReadonlySet<string> = new Set(['S', 'B']);

/**
 * ExpressionAttributeNames and ExpressionAttributeValues of one request, with
 * the placeholders its expressions used, so that unused ones are refused as
 * DynamoDB refuses them.
 */
export class Placeholders {
  private readonly usedNames = new Set<string>();
  private readonly usedValues = new Set<string>();

  public constructor(
    private readonly names: Readonly<Record<string, string>> = {},
    private readonly values: Readonly<Record<string, DynamoValue>> = {},
  ) {}

  /** The attribute name `#placeholder` stands for. */
  public name(placeholder: string, kind: ExpressionKind): string {
    const name = this.names[placeholder];
    if (name === undefined) {
      throw invalid(
        `Invalid ${kind}: An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`,
      );
    }
    this.usedNames.add(placeholder);
    return name;
  }

  /** The value `:placeholder` stands for. */
  public value(placeholder: string, kind: ExpressionKind): DynamoValue {
    const value = this.values[placeholder];
    if (value === undefined) {
      throw invalid(
        `Invalid ${kind}: An expression attribute value used in expression is not defined; attribute value: ${placeholder}`,
      );
    }
    this.usedValues.add(placeholder);
    return value;
  }

  /** Refuse placeholders no expression of the request used. */
  public assertAllUsed(): void {
    const unusedNames = Object.keys(this.names).filter((n) => !this.usedNames.has(n));
    if (unusedNames.length > 0) {
      throw invalid(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
    }
    const unusedValues = Object.keys(this.values).filter((v) => !this.usedValues.has(v));
    if (unusedValues.length > 0) {
      throw invalid(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
    }
  }
}

class Parser {
  private readonly tokens: Token[];
  private position = 0;

  public constructor(
    private readonly source: string,
    private readonly kind: ExpressionKind,
    private readonly placeholders: Placeholders,
  ) {
    this.tokens = tokenize(source, kind);
  }

  // ---- token helpers ----

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.position + offset, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position += 1;
    return token;
  }

  private isSymbol(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'symbol' && token.text === text;
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.text.toUpperCase() === word;
  }

  private syntaxError(token: Token = this.peek()): Error {
    return invalid(`Invalid ${this.kind}: Syntax error; token: "${token.text}", near: "${near(this.source, token.at)}"`);
  }

  private expectSymbol(text: string): void {
    if (!this.isSymbol(text)) throw this.syntaxError();
    this.next();
  }

  private expectEnd(): void {
    if (this.peek().kind !== 'end') throw this.syntaxError();
  }

  private isFunctionCall(): boolean {
    return this.peek().kind === 'word' && this.isSymbol('(', 1);
  }

  private functionName(): string {
    const token = this.next();
    if (!ALL_FUNCTIONS.has(token.text)) {
      throw invalid(`Invalid ${this.kind}: Invalid function name; function: ${token.text}`);
    }
    this.expectSymbol('(');
    return token.text;
  }

  private misplacedFunction(name: string): Error {
    return invalid(`Invalid ${this.kind}: The function is not allowed to be used this way in an expression; function: ${name}`);
  }

  // ---- paths and operands ----

  /** `name(.name | [index])*`, names bare or as `#placeholder`. */
  public path(): Path {
    const path: Path = [this.pathName()];
    for (;;) {
      if (this.isSymbol('.')) {
        this.next();
        path.push(this.pathName());
      } else if (this.isSymbol('[')) {
        this.next();
        const index = this.next();
        if (index.kind !== 'number') throw this.syntaxError(index);
        this.expectSymbol(']');
        path.push({ kind: 'index', index: Number(index.text) });
      } else {
        return path;
      }
    }
  }

  private pathName(): { kind: 'key'; name: string } {
    const token = this.next();
    if (token.kind === 'name') return { kind: 'key', name: this.placeholders.name(token.text, this.kind) };
    if (token.kind !== 'word') throw this.syntaxError(token);
    if (isReservedWord(token.text)) {
      throw invalid(`Invalid ${this.kind}: Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
    }
    return { kind: 'key', name: token.text };
  }

  private valueOperand(): Operand & { kind: 'value' } {
    const token = this.next();
    if (token.kind !== 'value') throw this.syntaxError(token);
    return { kind: 'value', placeholder: token.text, value: this.placeholders.value(token.text, this.kind) };
  }

  private operand(): Operand {
    if (this.peek().kind === 'value') return this.valueOperand();
    if (this.isFunctionCall()) {
      const name = this.functionName();
      if (name !== 'size') throw this.misplacedFunction(name);
      const path = this.path();
      this.expectSymbol(')');
      return { kind: 'size', path };
    }
    return { kind: 'path', path: this.path() };
  }

  /** Literals must have a type the operator accepts; DynamoDB checks this before reading the item. */
  private requireScalar(operand: Operand, operator: string, accepted: ReadonlySet<string> = SCALAR_TYPES): void {
    if (operand.kind !== 'value') return;
    const type = typeOf(operand.value);
    if (!accepted.has(type)) {
      throw invalid(
        `Invalid ${this.kind}: Incorrect operand type for operator or function; operator or function: ${operator}, operand type: ${type}`,
      );
    }
  }

  // ---- conditions ----

  /** `condition := conjunction (OR conjunction)*`: NOT binds tighter than AND, AND than OR. */
  public condition(): Condition {
    let left = this.conjunction();
    while (this.isKeyword('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.isKeyword('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Condition {
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', condition: this.negation() };
    }
    return this.primary();
  }

  private primary(): Condition {
    if (this.isSymbol('(')) {
      this.next();
      const inner = this.condition();
      this.expectSymbol(')');
      return inner;
    }
    if (this.isFunctionCall() && CONDITION_FUNCTIONS.has(this.peek().text)) return this.conditionFunction();
    const operand = this.operand();
    const token = this.peek();
    if (token.kind === 'symbol' && COMPARATORS.has(token.text)) {
      this.next();
      const right = this.operand();
      const comparator = token.text as Comparator;
      if (comparator !== '=' && comparator !== '<>') {
        this.requireScalar(operand, comparator);
        this.requireScalar(right, comparator);
      }
      return { kind: 'compare', comparator, left: operand, right };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      const low = this.operand();
      if (!this.isKeyword('AND')) throw this.syntaxError();
      this.next();
      const high = this.operand();
      this.requireScalar(low, 'BETWEEN');
      this.requireScalar(high, 'BETWEEN');
      if (low.kind === 'value' && high.kind === 'value' && (compareValues(low.value, high.value) ?? 0) > 0) {
        throw invalid(
          `Invalid ${this.kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; ` +
            `lower bound operand: AttributeValue: ${describeValue(low.value)}, upper bound operand: AttributeValue: ${describeValue(high.value)}`,
        );
      }
      return { kind: 'between', operand, low, high };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.expectSymbol('(');
      const candidates = [this.operand()];
      while (this.isSymbol(',')) {
        this.next();
        candidates.push(this.operand());
      }
      this.expectSymbol(')');
      if (candidates.length > 100) throw invalid(`Invalid ${this.kind}: The IN operator accepts at most 100 operands`);
      return { kind: 'in', operand, candidates };
    }
    throw this.syntaxError();
  }

  private conditionFunction(): Condition {
    const name = this.functionName();
    const path = this.path();
    let condition: Condition;
    if (name === 'attribute_exists' || name === 'attribute_not_exists') {
      condition = { kind: name, path };
    } else {
      this.expectSymbol(',');
      const operand = this.operand();
      if (name === 'attribute_type') {
        if (operand.kind !== 'value' || typeof operand.value !== 'string' || !TYPE_NAMES.has(operand.value)) {
          const shown = operand.kind === 'value' ? String(operand.value as unknown) : pathText(operand.path);
          throw invalid(
            `Invalid ${this.kind}: Invalid attribute type name found; type: ${shown}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
          );
        }
        condition = { kind: 'attribute_type', path, type: operand };
      } else {
        if (name === 'begins_with') this.requireScalar(operand, name, PREFIX_TYPES);
        condition = { kind: name as 'begins_with' | 'contains', path, operand };
      }
    }
    this.expectSymbol(')');
    return condition;
  }

  // ---- updates ----

  /** `(SET action, ... | REMOVE path, ... | ADD path :v, ... | DELETE path :v, ...)+`, each clause once. */
  public update(): UpdateActions {
    const actions: UpdateActions = { set: [], remove: [], add: [], delete: [] };
    const seen = new Set<string>();
    if (this.peek().kind === 'end') throw this.syntaxError();
    while (this.peek().kind !== 'end') {
      const clause = this.next();
      const keyword = clause.kind === 'word' ? clause.text.toUpperCase() : '';
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(keyword)) throw this.syntaxError(clause);
      if (seen.has(keyword)) {
        throw invalid(`Invalid ${this.kind}: The "${keyword}" section can only be used once in an update expression;`);
      }
      seen.add(keyword);
      for (;;) {
        const path = this.path();
        if (keyword === 'SET') {
          this.expectSymbol('=');
          actions.set.push({ path, value: this.setValue() });
        } else if (keyword === 'REMOVE') {
          actions.remove.push(path);
        } else {
          const value = this.valueOperand().value;
          const type = typeOf(value);
          const accepted = keyword === 'ADD' ? ['N', 'SS', 'NS', 'BS'] : ['SS', 'NS', 'BS'];
          if (!accepted.includes(type)) {
            throw invalid(
              `Invalid ${this.kind}: Incorrect operand type for operator or function; operator: ${keyword}, operand type: ${type}`,
            );
          }
          (keyword === 'ADD' ? actions.add : actions.delete).push({ path, value });
        }
        if (!this.isSymbol(',')) break;
        this.next();
      }
    }
    this.checkOverlaps(actions);
    return actions;
  }

  private setValue(): SetValue {
    const left = this.setOperand();
    if (this.isSymbol('+') || this.isSymbol('-')) {
      const operator = this.next().text as '+' | '-';
      return { kind: 'arithmetic', operator, left, right: this.setOperand() };
    }
    return left;
  }

  private setOperand(): SetValue {
    if (this.peek().kind === 'value') return this.valueOperand();
    if (this.isFunctionCall()) {
      const name = this.functionName();
      if (name === 'if_not_exists') {
        const path = this.path();
        this.expectSymbol(',');
        const fallback = this.setOperand();
        this.expectSymbol(')');
        return { kind: 'if_not_exists', path, fallback };
      }
      if (name === 'list_append') {
        const left = this.setOperand();
        this.expectSymbol(',');
        const right = this.setOperand();
        this.expectSymbol(')');
        return { kind: 'list_append', left, right };
      }
      throw this.misplacedFunction(name);
    }
    return { kind: 'path', path: this.path() };
  }

  private checkOverlaps(actions: UpdateActions): void {
    const targets = [
      ...actions.set.map((a) => a.path),
      ...actions.remove,
      ...actions.add.map((a) => a.path),
      ...actions.delete.map((a) => a.path),
    ];
    targets.forEach((one, i) => {
      for (const two of targets.slice(i + 1)) {
        const shorter = one.length <= two.length ? one : two;
        const longer = shorter === one ? two : one;
        const overlaps = shorter.every((element, k) => {
          const other = longer[k];
          if (other === undefined || other.kind !== element.kind) return false;
          return element.kind === 'key'
            ? other.kind === 'key' && other.name === element.name
            : other.kind === 'index' && other.index === element.index;
        });
        if (overlaps) {
          throw invalid(
            `Invalid ${this.kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; ` +
              `path one: [${pathText(one)}], path two: [${pathText(two)}]`,
          );
        }
      }
    });
  }

  // ---- projections ----

  /** `path (, path)*` */
  public projection(): Path[] {
    const paths = [this.path()];
    while (this.isSymbol(',')) {
      this.next();
      paths.push(this.path());
    }
    return paths;
  }

  /** Run one production and require it to consume the whole expression. */
  public whole<T>(production: () => T): T {
    if (this.source.trim() === '') throw invalid(`Invalid ${this.kind}: The expression can not be empty;`);
    const result = production();
    this.expectEnd();
    return result;
  }
}

/** Parse a ConditionExpression, KeyConditionExpression or FilterExpression. */
export function parseCondition(
  source: string,
  kind: 'ConditionExpression' | 'KeyConditionExpression' | 'FilterExpression',
  placeholders: Placeholders,
): Condition {
  const parser = new Parser(source, kind, placeholders);
  return parser.whole(() => parser.condition());
}

/** Parse an UpdateExpression. */
export function parseUpdate(source: string, placeholders: Placeholders): UpdateActions {
  const parser = new Parser(source, 'UpdateExpression', placeholders);
  return parser.whole(() => parser.update());
}

/** Parse a ProjectionExpression. */
export function parseProjection(source: string, placeholders: Placeholders): Path[] {
  const parser = new Parser(source, 'ProjectionExpression', placeholders);
  return parser.whole(() => parser.projection());
}
