// Build-time stand-in for the `string-width` package inside the dist/ bundle: printable ASCII (all of
// netlab's help text) is measured by its length at once; anything else goes to the real package.
// yargs renders (and caches) the whole help text after every command it runs, and the real
// string-width builds its emoji regular expression per character, which cost ~100 ms per start.
import realStringWidth from 'string-width-real';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export default function stringWidth(text, options) {
  if (typeof text === 'string' && PRINTABLE_ASCII.test(text)) return text.length;
  return realStringWidth(text, options);
}
