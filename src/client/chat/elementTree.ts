/**
 * A long list of elements (a reply's blocks) as a shallow tree of keyed fragments (or boxes, decision
 * 067), built again on each render along one path only.
 *
 * While a reply streams, every delta renders the Markdown again, and React walks every child of
 * every element that changed. With the blocks as one flat list that is every block per delta; with
 * a tree it is one node's children per level. A node whose items are all the same objects as last
 * time is the same element as last time, and React skips an element it has rendered before
 * without comparing its props, so finished blocks cost nothing per delta.
 */
import { createElement, Fragment, type ReactElement, type ReactNode } from "react";

/** Children per node. */
export const FAN = 8;
/**
 * Levels of nodes above the items, fixed: a tree that grew a level as the reply grew would move
 * every item under a new parent, and React would build all of their DOM again.
 */
export const DEPTH = 2;

/** A node of the tree: a keyed fragment (no DOM), or an element (a box the browser lays out). */
export type NodeElement = (key: number, children: ReactNode[]) => ReactElement;

const fragment: NodeElement = (key, children) => createElement(Fragment, { key }, children);

export class ElementTree<T> {
  constructor(private readonly node: NodeElement = fragment) {}

  private readonly items: T[] = [];
  private readonly leaves: ReactNode[] = [];
  /** nodes[d]: the nodes d + 1 levels above the items. */
  private readonly nodes: ReactElement[][] = Array.from({ length: DEPTH }, () => []);

  /**
   * The top level of the tree for `items`. An item that is the same object as the one at its index
   * last time keeps its element; `render` makes the others (an element needs a key unique in the
   * list, such as the index; a string, a run of text, needs none). `unchangedBefore`: the caller
   * knows the items before it are the ones it passed last time (a streamed reply's final blocks), so
   * they are not looked at. `end`, when given, is shown in place of the last item (null: the last
   * item is left out): a streaming reply's last block as it is shown, without copying the list.
   */
  update(
    items: readonly T[],
    render: (item: T, index: number) => ReactNode,
    unchangedBefore = 0,
    end?: T | null,
  ): ReactElement[] {
    const { items: before, leaves } = this;
    const last = items.length - 1;
    const count = end === null ? Math.max(0, last) : items.length;
    const kept = Math.min(before.length, count);
    // Only when it shrinks: setting an array's length is a slow path in V8 even when it is the same.
    if (before.length > kept) {
      before.length = kept;
      leaves.length = kept;
    }
    let changed = kept;
    for (let i = Math.min(unchangedBefore, kept); i < count; i++) {
      const item = (end !== undefined && i === last ? end : items[i]) as T;
      if (i < kept && before[i] === item) continue;
      changed = Math.min(changed, i);
      before[i] = item;
      leaves[i] = render(item, i);
    }
    let below: readonly ReactNode[] = leaves;
    let top: ReactElement[] = [];
    for (const nodes of this.nodes) {
      const count = Math.ceil(below.length / FAN);
      if (nodes.length > count) nodes.length = count;
      const first = Math.floor(changed / FAN);
      for (let j = first; j < count; j++) nodes[j] = this.node(j, below.slice(j * FAN, (j + 1) * FAN));
      below = nodes;
      top = nodes;
      changed = first;
    }
    return top.slice();
  }
}
