/**
 * The syntax tree of the phone's shell (the POSIX/mksh subset Android scripts are written in). Words are kept
 * as their source text and expanded when the command runs (quotes, `$…`, `$(…)`, globs), as a shell does.
 */
export interface Redirect {
  /** The file descriptor redirected (0 stdin, 1 stdout, 2 stderr, or another small number). */
  fd: number;
  op: '<' | '>' | '>>' | '>|' | '<>' | '<&' | '>&' | '<<' | '<<-' | '<<<' | '&>';
  /** The target word (source text), or the here-document's body. */
  target: string;
  /** Here-documents: whether the delimiter was quoted (then the body is not expanded). */
  quotedHeredoc?: boolean;
}

export interface Assignment {
  name: string;
  /** Source text of the value. */
  value: string;
  /** mksh `name[INDEX]=value`: the index expression's source text. */
  index?: string;
  /** mksh `name=(a b c)`: the elements' source words. */
  array?: string[];
}

export type Node =
  | { type: 'simple'; assigns: Assignment[]; words: string[]; redirects: Redirect[]; line: number }
  | { type: 'pipeline'; negate: boolean; commands: Node[] }
  | { type: 'andor'; first: Node; rest: Array<{ op: '&&' | '||'; node: Node }> }
  | { type: 'list'; items: Array<{ node: Node; background: boolean }> }
  | { type: 'group'; body: Node; redirects: Redirect[] }
  | { type: 'subshell'; body: Node; redirects: Redirect[] }
  | { type: 'if'; clauses: Array<{ cond: Node; body: Node }>; elseBody?: Node; redirects: Redirect[] }
  | { type: 'for'; name: string; items: string[] | undefined; body: Node; redirects: Redirect[] }
  | { type: 'while'; until: boolean; cond: Node; body: Node; redirects: Redirect[] }
  | { type: 'case'; word: string; arms: Array<{ patterns: string[]; body: Node | undefined; fallthrough: boolean }>; redirects: Redirect[] }
  | { type: 'function'; name: string; body: Node }
  /** mksh's `(( EXPR ))`: `let EXPR` (status 0 when the value is not zero). */
  | { type: 'arith'; expr: string; redirects: Redirect[]; line: number }
  /** mksh's `[[ … ]]`: its words and operators as written (no field splitting, no globbing; `==` matches a pattern). */
  | { type: 'cond'; tokens: Array<{ op: boolean; v: string }>; redirects: Redirect[]; line: number };

export class ShellSyntaxError extends Error {
  /** True when more input could complete the text (an open quote, `if` without `fi`…). */
  constructor(message: string, readonly incomplete = false) {
    super(message);
  }
}
