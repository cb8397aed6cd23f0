// Web mode only (python -m field_app; index.html loads this before Flet's scripts): the page
// fetches nothing from outside the app's own server. Two things in Flet's prebuilt web client
// would otherwise reach out (docs/FIELD_APP.md, "Offline means no failed fetch"):
(() => {
  const seen = (window.suijianOffline = { fontPieces: 0, rive: 0 });  // what was answered here
  // 1. Flutter's font fallback. Text laid out before the bundled font is registered (a race at
  //    start) makes the engine ask for Noto fallback pieces under assets/fonts/noto…/ (Noto Sans
  //    SC mostly, also KR, JP, TC, symbols: whichever family Flutter guesses covers a character),
  //    where Flet's no-CDN mode points the fallback and ships none (404s). Each such piece is
  //    answered with our own font (the same file page.fonts loads, fetched once): the characters
  //    the app shows are in it, so the text draws at once.
  const FONT = "fonts/NotoSansSC-Subset.otf";
  const PIECE = /\/assets\/fonts\/noto[a-z0-9]+\//;   // not our own fonts/NotoSansSC-Subset.otf
  const realFetch = window.fetch.bind(window);
  let font = null;
  window.fetch = (input, init) => {
    const url = typeof input === "string" ? input : (input && input.url) || String(input);
    if (!PIECE.test(new URL(url, document.baseURI).pathname)) return realFetch(input, init);
    seen.fontPieces += 1;
    font ??= realFetch(FONT).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`${FONT}: ${r.status}`))));
    return font.then((bytes) => new Response(bytes.slice(0), { status: 200, headers: { "Content-Type": "font/otf" } }));
  };

  // 2. Rive's runtime. The client loads rive_native.js from jsDelivr at start (the URL is compiled
  //    in). The app shows no Rive animation, so the script is pointed at rive-offline.js, which
  //    answers "Rive not available" the way the client's loader expects (RiveNative() -> null).
  const RIVE_CDN = "https://cdn.jsdelivr.net/npm/@rive-app/flutter-native-wasm@";
  const src = Object.getOwnPropertyDescriptor(HTMLScriptElement.prototype, "src");
  Object.defineProperty(HTMLScriptElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get() { return src.get.call(this); },
    set(value) {
      const rive = String(value).startsWith(RIVE_CDN);
      if (rive) seen.rive += 1;
      src.set.call(this, rive ? "rive-offline.js" : value);
    },
  });
})();
