// The names that earlier cells declared, as the type checker sees them from a new cell.
//
// Each cell that ran leaves an immutable declaration file D_k (`__decl_k__.d.ts`, parsed and
// bound once, kept by every later program). Cells nest like blocks: a cell sees its own names,
// then D_N's, then D_{N-1}'s, ..., then the globals; a later declaration of a name shadows an
// earlier one, for the meanings it has (after `class A {}` and then `const A = 1`, the value A
// is 1 and the type A is still the class).
//
// How the checker is made to look there: its name lookup walks from a node up through `parent`
// links, and a SourceFile's parent is normally undefined, which ends the walk at the globals.
// Giving a file a parent makes the walk continue into that file's locals (tslab's trick). Each
// D_k's parent is D_{k-1}, so the names inside a declaration (the types it mentions) keep the
// meaning they had when that cell ran, even once a later cell shadows them.
//
// A new cell does not walk that chain: a global name (`Math`, `Promise`) would cost one lookup
// per earlier cell. Its parent is a short stack of "layers" instead: layer 0's locals map every
// name to the newest symbol declared for it; where a newer symbol does not cover every meaning
// of an older one, the older one sits in layer 1 (and so on). A lookup in the layers finds what
// the walk through D_N ... D_1 would find, in a few map lookups however many cells ran.
import type * as TS from "typescript";

/** One earlier declaration of a name, and the symbol flags a lookup can match it by. */
interface Entry {
  symbol: TS.Symbol;
  /** Symbol flags, plus an import's target's flags (the checker matches an alias by both). */
  meanings: number;
}

export interface ScopeName {
  name: TS.__String;
  symbol: TS.Symbol;
  meanings: number;
}

export class CellScope {
  /** Fake module files, not in any program: only their locals and parent links are used. */
  private readonly layers: TS.SourceFile[] = [];
  /** Per name, the declarations a lookup can still reach, newest first. */
  private readonly entries = new Map<TS.__String, Entry[]>();
  /** Every symbol ever entered: a cell's reference to one of them is a reference to an earlier cell. */
  private readonly earlier = new Set<TS.Symbol>();
  private lastDeclaration: TS.SourceFile | undefined;

  constructor(
    private readonly ts: typeof TS,
    private readonly dir: string,
    private readonly options: TS.CompilerOptions,
  ) {}

  /** The parent to give a new cell's SourceFile (undefined before any cell declared anything). */
  get head(): TS.SourceFile | undefined {
    return this.layers[0];
  }

  /** How many layers a lookup of a global name passes (the test of flat per-cell work reads it). */
  get depth(): number {
    return this.layers.length;
  }

  /** Whether a symbol is one an earlier cell declared at its top level. */
  declaredEarlier(symbol: TS.Symbol | undefined): boolean {
    return symbol !== undefined && this.earlier.has(symbol);
  }

  /** Add a bound declaration file and the names it gives later cells (its exports). */
  add(decl: TS.SourceFile, names: ScopeName[]) {
    (decl as any).parent = this.lastDeclaration;
    this.lastDeclaration = decl;
    for (const n of names) this.enter(n);
  }

  private enter({ name, symbol, meanings }: ScopeName) {
    this.earlier.add(symbol);
    const old = this.entries.get(name) ?? [];
    // An older declaration that the newer ones match for every flag it could be matched by can
    // never be found again: drop it (re-running a cell would otherwise pile up layers).
    const list: Entry[] = [{ symbol, meanings }];
    let covered = meanings;
    for (const e of old) {
      if ((e.meanings & ~covered) === 0) continue;
      list.push(e);
      covered |= e.meanings;
    }
    this.entries.set(name, list);
    for (let i = 0; i < Math.max(list.length, old.length); i++) {
      if (i < list.length) this.layer(i).set(name, list[i].symbol);
      else this.layer(i).delete(name);
    }
  }

  /** The locals of layer i, created (below the others) when first needed. */
  private layer(i: number): Map<TS.__String, TS.Symbol> {
    while (this.layers.length <= i) {
      const n = this.layers.length;
      const sf = this.ts.createSourceFile(
        `${this.dir}/__scope_${n}__.d.ts`,
        "export {};",
        this.options.target ?? this.ts.ScriptTarget.ES2022,
      );
      (this.ts as any).bindSourceFile(sf, this.options);
      if (n > 0) (this.layers[n - 1] as any).parent = sf;
      this.layers.push(sf);
    }
    return (this.layers[i] as any).locals;
  }
}
