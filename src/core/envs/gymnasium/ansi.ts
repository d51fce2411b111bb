/** Gymnasium's gymnasium.utils.colorize colour numbers. */
const COLOR_NUM = { gray: 30, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, crimson: 38 } as const;

export type AnsiColor = keyof typeof COLOR_NUM;

/** gymnasium.utils.colorize: `text` wrapped in an ANSI SGR colour (background with highlight, plus bold). */
export function colorize(text: string, color: AnsiColor, bold = false, highlight = false): string {
  const attrs = [String(COLOR_NUM[color] + (highlight ? 10 : 0))];
  if (bold) attrs.push('1');
  return `\x1b[${attrs.join(';')}m${text}\x1b[0m`;
}
