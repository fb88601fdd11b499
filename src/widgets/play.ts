// play(): PlayModel of @jupyter-widgets/controls 2.0: play/pause/stop buttons that step a value
// in the front end, every `interval` ms. Link it to a slider (jslink) for a scrubber.
import { bool, ControlOptions, controlState, named, whole, show } from "./common";
import { CONTROLS } from "./protocol";
import { ValueWidget } from "./widget";

export interface PlayOptions extends ControlOptions {
  min?: number;
  max?: number;
  step?: number;
  value?: number;
  /** Milliseconds between steps (default 100). */
  interval?: number;
  /** Start again from min after max. */
  repeat?: boolean;
  /** Show the repeat button (default true). */
  showRepeat?: boolean;
}

export class Play extends ValueWidget<number> {
  constructor(opts: PlayOptions = {}) {
    const what = named("play", opts.description);
    const min = whole(what, "min", opts.min ?? 0);
    const max = whole(what, "max", opts.max ?? 100);
    if (min > max) throw new RangeError(`${what}: min (${min}) must not be greater than max (${max})`);
    const step = whole(what, "step", opts.step ?? 1);
    if (step <= 0) throw new RangeError(`${what}: step must be greater than 0; got ${step}`);
    const interval = whole(what, "interval", opts.interval ?? 100);
    if (interval <= 0) throw new RangeError(`${what}: interval must be a positive number of milliseconds; got ${interval}`);
    const value = Math.min(max, Math.max(min, whole(what, "value", opts.value ?? min)));
    super(
      { model: { ...CONTROLS, name: "PlayModel" }, view: { ...CONTROLS, name: "PlayView" } },
      {
        value,
        min,
        max,
        step,
        interval,
        playing: false,
        repeat: bool(what, "repeat", opts.repeat ?? false),
        show_repeat: bool(what, "showRepeat", opts.showRepeat ?? true),
        ...controlState(what, opts, "DescriptionStyleModel"),
      },
    );
  }

  /** Whether it is playing now (a front end starts and stops it; so can code). */
  get playing(): boolean {
    return this.state.playing as boolean;
  }
  set playing(v: boolean) {
    this.set({ playing: v });
  }

  protected check(name: string, v: unknown): unknown {
    if (name === "value") {
      const what = named("play", this.state.description as string);
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new TypeError(`${what}: value must be a whole number from ${this.state.min} to ${this.state.max}; got ${show(v)}`);
      return Math.min(this.state.max as number, Math.max(this.state.min as number, Math.round(v)));
    }
    return v;
  }

  protected reprKeys(): string[] {
    return ["value", "min", "max", "interval", "description"];
  }
}

/** Play buttons: `play({ max: seqLen - 1, interval: 200 })`. */
export function play(opts: PlayOptions = {}): Play {
  return new Play(opts);
}
