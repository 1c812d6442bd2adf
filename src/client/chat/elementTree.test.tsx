import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { DEPTH, ElementTree, FAN } from "./elementTree.ts";

interface Item {
  text: string;
}

const renderItem = (item: Item, index: number) => <p key={index}>{item.text}</p>;
const markup = (elements: readonly ReactElement[]) => renderToStaticMarkup(<div>{elements}</div>);
const flat = (items: readonly Item[]) => markup(items.map(renderItem));

/** The elements d levels below the top: the tree's nodes, then its leaves. */
function below(top: readonly ReactElement[], levels: number): ReactElement[] {
  let nodes = [...top];
  for (let d = 0; d < levels; d++)
    nodes = nodes.flatMap((node) => (node.props as { children: ReactElement[] }).children);
  return nodes;
}

describe("ElementTree", () => {
  test("renders the items in order, as the flat list does", () => {
    const items = Array.from({ length: 150 }, (_, n) => ({ text: `item ${n}` }));
    const tree = new ElementTree<Item>();
    const top = tree.update(items, renderItem);
    expect(top).toHaveLength(Math.ceil(150 / FAN ** DEPTH));
    expect(markup(top)).toBe(flat(items));
    expect(below(top, DEPTH)).toHaveLength(150);
  });

  test("items the caller says are unchanged are not looked at; a new tree renders them all the same", () => {
    const items = Array.from({ length: 40 }, (_, n) => ({ text: `item ${n}` }));
    const tree = new ElementTree<Item>();
    tree.update(items, renderItem);
    const rendered: string[] = [];
    const spy = (item: Item, index: number) => {
      rendered.push(item.text);
      return renderItem(item, index);
    };
    const next = [...items.slice(0, 39), { text: "open" }];
    expect(markup(tree.update(next, spy, 39))).toBe(flat(next));
    expect(rendered).toEqual(["open"]);

    rendered.length = 0;
    const fresh = new ElementTree<Item>();
    expect(markup(fresh.update(next, spy, 39))).toBe(flat(next));
    expect(rendered).toHaveLength(40);
  });

  test("an unchanged item keeps its element, and a node of unchanged items keeps its own", () => {
    const items = Array.from({ length: FAN ** DEPTH + 3 }, (_, n) => ({ text: `item ${n}` }));
    const tree = new ElementTree<Item>();
    const first = tree.update(items, renderItem);
    const rendered: Item[] = [];
    const next = [...items.slice(0, -1), { text: "changed" }, { text: "new" }];
    const second = tree.update(next, (item, index) => {
      rendered.push(item);
      return renderItem(item, index);
    });
    // Only the changed and the new item are rendered again.
    expect(rendered.map((item) => item.text)).toEqual(["changed", "new"]);
    // The first top node holds only unchanged items: the same element, so React skips it whole.
    expect(second[0]).toBe(first[0] as ReactElement);
    expect(second[1]).not.toBe(first[1] as ReactElement);
    const leavesBefore = below(first, DEPTH);
    const leavesAfter = below(second, DEPTH);
    for (let i = 0; i < items.length - 1; i++) expect(leavesAfter[i]).toBe(leavesBefore[i] as ReactElement);
    expect(markup(second)).toBe(flat(next));
  });

  test("any sequence of lists, sharing any of their items, renders as each list alone does", () => {
    const pool = Array.from({ length: 12 }, (_, n) => ({ text: `item ${n}` }));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            list: fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { maxLength: 160 }),
            // The last item shown as another (an index into the pool), left out (-1), or as it is.
            end: fc.option(fc.integer({ min: -1, max: pool.length - 1 }), { nil: undefined }),
          }),
          { maxLength: 8 },
        ),
        (lists) => {
          const tree = new ElementTree<Item>();
          for (const { list, end } of lists) {
            const items = list.map((n) => pool[n] as Item);
            const shown = end === undefined ? undefined : end === -1 ? null : (pool[end] as Item);
            const expected =
              shown === undefined || items.length === 0 ? items : [...items.slice(0, -1), ...(shown ? [shown] : [])];
            expect(markup(tree.update(items, renderItem, 0, shown))).toBe(flat(expected));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
