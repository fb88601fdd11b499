// The transformers a cell's compilation runs (kernel/server/converter.ts), each a small rewrite that
// makes compiled cell code fit the kernel:
//  - guardAwaits:     every `await x` in the code of cell n becomes `await __seqlab__.guard(x, n)`,
//                     which rejects once cell n is interrupted, so an `await` loop stops too;
//  - returnLastValue: a cell's last expression statement becomes `return { value: expr }`, which
//                     the executor's wrapper function hands back as the cell's result;
//  - earlierNames:    a reference to an earlier cell's variable `n` becomes `exports.n` (cells keep
//                     their variables as properties of one object), shorthands `{ n }` included;
//  - plainExports:    the accessors TypeScript defines for exported imports become plain values;
//  - widenLiterals:   in the declarations kept for later cells, a long literal type (a 50 MB
//                     string constant) becomes its primitive type.
import type * as TS from "typescript";

type Ts = typeof TS;
type Factory = TS.TransformerFactory<TS.SourceFile>;

function visitor(ts: Ts, f: (node: TS.Node, ctx: TS.TransformationContext, visit: (n: TS.Node) => TS.Node) => TS.Node): Factory {
  return (ctx) => {
    const visit = (node: TS.Node): TS.Node => f(node, ctx, visit);
    return (sf) => ts.visitNode(sf, visit) as TS.SourceFile;
  };
}

/**
 * `await x` → `await __seqlab__.guard(x, cell)`: an interrupt of that cell rejects the guard
 * (executor.ts). A local module a cell imports belongs to no cell: 0.
 */
export function guardAwaits(ts: Ts, cell: number): Factory {
  return visitor(ts, (node, ctx, visit) => {
    node = ts.visitEachChild(node, visit, ctx);
    if (!ts.isAwaitExpression(node)) return node;
    const f = ctx.factory;
    const guard = f.createPropertyAccessExpression(f.createIdentifier("__seqlab__"), "guard");
    const call = f.createCallExpression(guard, undefined, [node.expression, f.createNumericLiteral(cell)]);
    return ts.setTextRange(f.updateAwaitExpression(node, call), node);
  });
}

/**
 * The cell's last statement, if it is an expression, becomes `return { value: expr }` (the
 * executor runs a cell as a function). Boxed, so that an async cell ending in a promise shows
 * the promise rather than what it resolves to. The converter's own `export { ... }` at the end
 * does not count.
 */
export function returnLastValue(ts: Ts, onFound: () => void): Factory {
  return (ctx) => (sf) => {
    const f = ctx.factory;
    for (let i = sf.statements.length - 1; i >= 0; i--) {
      const stmt = sf.statements[i];
      if (ts.isExportDeclaration(stmt)) continue;
      if (!ts.isExpressionStatement(stmt)) break;
      const boxed = f.createObjectLiteralExpression([f.createPropertyAssignment("value", stmt.expression)]);
      const ret = ts.setTextRange(f.createReturnStatement(boxed), stmt);
      onFound();
      return f.updateSourceFile(sf, [...sf.statements.slice(0, i), ret, ...sf.statements.slice(i + 1)]);
    }
    return sf;
  };
}

/**
 * A reference to an earlier cell's top-level name `n` becomes `exports.n`; a call `n(...)` becomes
 * `(0, exports.n)(...)` (as TypeScript compiles calls of imports: `this` is not the exports
 * object); a shorthand `{ n }` becomes `{ n: exports.n }` (and `{ n = d }` in a destructuring
 * target `{ n: exports.n = d }`). Runs after TypeScript's own transforms, when only values are left.
 */
export function earlierNames(ts: Ts, checker: TS.TypeChecker, isEarlier: (s: TS.Symbol | undefined) => boolean): Factory {
  return visitor(ts, (node, ctx, visit) => {
    const f = ctx.factory;
    const ref = (name: string) => f.createPropertyAccessExpression(f.createIdentifier("exports"), name);
    if (ts.isShorthandPropertyAssignment(node) && isEarlier(checker.getShorthandAssignmentValueSymbol(node))) {
      const init = node.objectAssignmentInitializer;
      const value = init
        ? f.createAssignment(ref(ts.idText(node.name)), ts.visitNode(init, visit) as TS.Expression)
        : ref(ts.idText(node.name));
      return ts.setTextRange(f.createPropertyAssignment(ts.idText(node.name), value), node);
    }
    if (ts.isIdentifier(node)) {
      return isEarlier(checker.getSymbolAtLocation(node)) ? ts.setTextRange(ref(ts.idText(node)), node) : node;
    }
    if (
      ts.isCallExpression(node) &&
      !ts.isOptionalChain(node) &&
      ts.isIdentifier(node.expression) &&
      isEarlier(checker.getSymbolAtLocation(node.expression))
    ) {
      const callee = f.createParenthesizedExpression(
        f.createComma(f.createNumericLiteral(0), ts.setTextRange(ref(ts.idText(node.expression)), node.expression)),
      );
      const args = node.arguments.map((a) => ts.visitNode(a, visit) as TS.Expression);
      return f.updateCallExpression(node, callee, node.typeArguments, args);
    }
    return ts.visitEachChild(node, visit, ctx);
  });
}

/**
 * Cells keep their variables as properties of one object, written on every assignment
 * (`exports.i = (i++, i)`). TypeScript exports an import through an accessor
 * (`Object.defineProperty(exports, "join", { get })`); tslab made the exports object a Proxy to
 * turn those into plain values, and a Proxy store is slow in a hot loop. Instead these calls go
 * through `__seqlab__.defineExport` (executor.ts), which stores the value.
 */
export function plainExports(ts: Ts): Factory {
  return visitor(ts, (node, ctx, visit) => {
    node = ts.visitEachChild(node, visit, ctx);
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      ts.idText(node.expression.expression) === "Object" &&
      ts.idText(node.expression.name) === "defineProperty" &&
      node.arguments.length === 3 &&
      ts.isIdentifier(node.arguments[0]) &&
      ts.idText(node.arguments[0]) === "exports"
    ) {
      const f = ctx.factory;
      return f.updateCallExpression(
        node,
        f.createPropertyAccessExpression(f.createIdentifier("__seqlab__"), "defineExport"),
        undefined,
        node.arguments,
      );
    }
    return node;
  });
}

/** Literals longer than this (in characters of source text) lose their literal type in kept declarations. */
export const LONG_LITERAL = 100;

/**
 * `declare const s = "<50 MB>"` → `declare const s: string`, and a long literal type anywhere in a
 * declaration (`readonly s: "<50 MB>"`, from `as const`) → its primitive type. A later cell needs
 * the type, not the text, and a literal type that size would be printed in every hover and error
 * message that mentions it (and kept in memory as declaration text).
 */
export function widenLiterals(ts: Ts): Factory {
  const keyword = (node: TS.Node): TS.KeywordTypeSyntaxKind | undefined => {
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) node = node.operand;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
      return node.text.length > LONG_LITERAL ? ts.SyntaxKind.StringKeyword : undefined;
    if (ts.isNumericLiteral(node)) return node.text.length > LONG_LITERAL ? ts.SyntaxKind.NumberKeyword : undefined;
    if (ts.isBigIntLiteral(node)) return node.text.length > LONG_LITERAL ? ts.SyntaxKind.BigIntKeyword : undefined;
    return undefined;
  };
  return visitor(ts, (node, ctx, visit) => {
    const f = ctx.factory;
    if (ts.isVariableDeclaration(node) && node.initializer && !node.type) {
      const k = keyword(node.initializer);
      if (k !== undefined) return f.updateVariableDeclaration(node, node.name, undefined, f.createKeywordTypeNode(k), undefined);
    }
    if (ts.isLiteralTypeNode(node)) {
      const k = keyword(node.literal);
      if (k !== undefined) return f.createKeywordTypeNode(k);
    }
    return ts.visitEachChild(node, visit, ctx);
  });
}
