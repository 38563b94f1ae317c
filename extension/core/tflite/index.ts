/**
 * The TFLite engine as one entry: the build makes it its own file (dist/tflite.js, with the generated schema),
 * required the first time a .tflite model is opened or run, so every other import of tflite/* goes through here.
 */
export * from './reader';
export * from './summary';
export * from './graph';
export * from './inspect';
export * from './tensorValues';
