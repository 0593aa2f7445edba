// The dissect layer's public face: what labs and the layers above import.
export { DissectState } from './context.ts';
export { parsePrefs } from './context.ts';
export { dissect } from './dissect.ts';
export { fieldShows } from './fields-output.ts';
export { invalidFields } from './fields-output.ts';
