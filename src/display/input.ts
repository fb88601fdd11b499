// input(prompt): ask the person at the notebook for a line of text (Jupyter's stdin channel).
import { createInterface } from "readline";
import { kernel } from "./bridge";

export async function input(prompt = "", opts: { password?: boolean } = {}): Promise<string> {
  const k = kernel();
  if (k) return k.input(prompt, !!opts.password);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await new Promise<string>((resolve) => rl.question(prompt, resolve));
  } finally {
    rl.close();
  }
}
