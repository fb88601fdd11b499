// jslink(): a LinkModel of @jupyter-widgets/controls 2.0 keeps two attributes equal in the front
// end itself (no round trip through the kernel): a Play linked to a slider makes a scrubber.
import { CONTROLS } from "./protocol";
import { ref, Widget } from "./widget";

export class Link extends Widget {
  constructor(source: [Widget, string], target: [Widget, string]) {
    for (const [which, pair] of [
      ["source", source],
      ["target", target],
    ] as const) {
      if (!Array.isArray(pair) || !(pair[0] instanceof Widget) || typeof pair[1] !== "string") {
        throw new TypeError(`jslink: ${which} must be [widget, "attribute"], e.g. [slider, "value"]`);
      }
      if (pair[0].get(pair[1]) === undefined) throw new TypeError(`jslink: ${pair[0]} has no attribute ${JSON.stringify(pair[1])}`);
    }
    super(
      { model: { ...CONTROLS, name: "LinkModel" }, view: null },
      { source: [ref(source[0]), source[1]], target: [ref(target[0]), target[1]] },
    );
  }
}

/** Keep source's and target's attributes equal, in the front end: `jslink([player, "value"], [step, "value"])`. */
export function jslink(source: [Widget, string], target: [Widget, string]): Link {
  return new Link(source, target);
}
