// The view layer's public face: a local web page for a capture (`netlab view`).
export { CaptureModel, compileViewFilter, treeOf, treeText, ViewFilterError } from './capture-model.ts';
export { startViewServer, type ViewServer, type ViewServerOptions } from './server.ts';
export type * from './types.ts';
