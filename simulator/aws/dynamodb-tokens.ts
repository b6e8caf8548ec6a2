/**
 * The tokenizer of DynamoDB expressions: words, `#name` and `:value`
 * placeholders, list indexes and operators.
 */
import { invalid } from './dynamodb-expression-error.ts';

/** Which request parameter an expression comes from; DynamoDB names it in its messages. */
export type ExpressionKind =
  | 'ConditionExpression'
  | 'KeyConditionExpression'
  | 'FilterExpression'
  | 'UpdateExpression'
  | 'ProjectionExpression';

/** Kinds of token. */
export type TokenKind = 'word' | 'name' | 'value' | 'number' | 'symbol' | 'end';

/** One token and where it starts in the expression. */
export interface Token {
  kind: TokenKind;
  text: string;
  at: number;
}

const SYMBOLS = ['<>', '<=', '>=', '=', '<', '>', '(', ')', ',', '.', '[', ']', '+', '-'] as const;

const PATTERNS: ReadonlyArray<[TokenKind, RegExp]> = [
  ['word', /[A-Za-z_][A-Za-z0-9_]*/y],
  ['name', /#[A-Za-z0-9_]+/y],
  ['value', /:[A-Za-z0-9_]+/y],
  ['number', /[0-9]+/y],
];

/** The few characters around `at`, as DynamoDB quotes them in a syntax error. */
export function near(source: string, at: number): string {
  return source.slice(Math.max(0, at - 10), at + 10).trim();
}

/** Split an expression into tokens; a character that starts no token is a syntax error. */
export function tokenize(source: string, kind: ExpressionKind): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  outer: while (at < source.length) {
    const char = source[at] ?? '';
    if (/\s/.test(char)) {
      at += 1;
      continue;
    }
    for (const [tokenKind, pattern] of PATTERNS) {
      pattern.lastIndex = at;
      const match = pattern.exec(source);
      if (match !== null) {
        tokens.push({ kind: tokenKind, text: match[0], at });
        at += match[0].length;
        continue outer;
      }
    }
    const symbol = SYMBOLS.find((s) => source.startsWith(s, at));
    if (symbol === undefined) {
      throw invalid(`Invalid ${kind}: Syntax error; token: "${char}", near: "${near(source, at)}"`);
    }
    tokens.push({ kind: 'symbol', text: symbol, at });
    at += symbol.length;
  }
  tokens.push({ kind: 'end', text: '<EOF>', at: source.length });
  return tokens;
}
