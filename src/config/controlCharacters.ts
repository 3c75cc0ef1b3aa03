// ASCII control characters (U+0000-U+001F and DEL): a newline or a tab where a name or a unit file
// line is written would end it early or add to it.
export function hasControlCharacter(text: string): boolean {
    return [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}
