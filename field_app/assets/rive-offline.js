// Stands in for rive_native.js (see offline.js): the field app has no Rive animation, and the
// client's loader reads a null runtime as "Rive not available" and carries on.
window.RiveNative = () => Promise.resolve(null);
