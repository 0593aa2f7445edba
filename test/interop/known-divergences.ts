// Field/capture pairs where netlab knowingly prints something other than tshark, each with its reason.
// Key: `capture-file:field` or `*:field`. Keep this list short and every reason concrete.

export const KNOWN_DIVERGENCES: Readonly<Record<string, string>> = {};
