// The entry verification page (/public/results/{no}/verify): fetches the published bytes and
// proof.json and checks them in the browser (docs/DISCLOSURE.md "Verifying an entry").
// A file, not an inline script: the pages' Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var run_button = document.getElementById("run"), no = run_button.dataset.no;
  var steps = document.getElementById("steps"), verdict = document.getElementById("verdict");
  function hex(buf) { return Array.from(new Uint8Array(buf)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function bytes(h) { var out = new Uint8Array(h.length / 2); for (var i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16); return out; }
  function concat() { var n = 0, i, parts = arguments; for (i = 0; i < parts.length; i++) n += parts[i].length;
    var out = new Uint8Array(n), at = 0; for (i = 0; i < parts.length; i++) { out.set(parts[i], at); at += parts[i].length; } return out; }
  function sha(data) { return crypto.subtle.digest("SHA-256", data).then(function (d) { return new Uint8Array(d); }); }
  var utf8 = new TextEncoder();
  function step(ok, text) { var li = document.createElement("li"); li.className = ok ? "ok" : "bad";
    li.textContent = (ok ? "✔ " : "✘ ") + text; steps.appendChild(li); return ok; }
  async function inclusion(index, size, leaf, path, root) {   // RFC 9162 §2.1.3.2
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < path.length; i++) {
      var p = bytes(path[i]);
      if (sn === 0) return false;
      if ((fn & 1) === 1 || fn === sn) {
        r = await sha(concat(new Uint8Array([1]), p, r));
        if ((fn & 1) === 0) { while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; } }
      } else { r = await sha(concat(new Uint8Array([1]), r, p)); }
      fn >>= 1; sn >>= 1;
    }
    return sn === 0 && hex(r) === root;
  }
  async function entryProof(label, proof, root, size) {
    var leaf = await sha(concat(new Uint8Array([0]), utf8.encode(proof.entry)));
    var ok = step(hex(leaf) === proof.leaf_hash, label + "：叶哈希与日志一致");
    return step(ok && await inclusion(proof.index, size, leaf, proof.proof, root),
                label + "：包含证明成立（第 " + proof.index + " 条在共 " + size + " 条的日志中）") && ok;
  }
  function pae(type, body) { var t = utf8.encode(type);
    return concat(utf8.encode("DSSEv1 " + t.length + " "), t, utf8.encode(" " + body.length + " "), body); }
  async function signature(cp, key) {
    var env = JSON.parse(cp.envelope), body = Uint8Array.from(atob(env.payload), function (c) { return c.charCodeAt(0); });
    var head = JSON.parse(new TextDecoder().decode(body));
    step(head.size === cp.size && head.root === cp.root, "检查点内容与所用树根一致");
    try {
      var pub = await crypto.subtle.importKey("raw", bytes(key), {name: "Ed25519"}, false, ["verify"]);
      var sig = Uint8Array.from(atob(env.signatures[0].sig), function (c) { return c.charCodeAt(0); });
      return step(await crypto.subtle.verify({name: "Ed25519"}, pub, sig, pae(env.payloadType, body)),
                  "检查点的 Ed25519 签名有效（服务器公钥 " + key.slice(0, 16) + "…）");
    } catch (e) { step(true, "本浏览器不支持 Ed25519 验签，请用 proof.json 离线验证签名"); return true; }
  }
  async function run() {
    steps.textContent = ""; verdict.textContent = "正在核验…";
    if (!window.crypto || !crypto.subtle) { verdict.textContent = "本浏览器不能计算哈希（需 HTTPS 访问），请下载 proof.json 离线核验。"; return; }
    var proof = await (await fetch((document.documentElement.dataset.root || "") + "/public/results/" + no + "/proof.json", {cache: "no-store"})).json();
    var data = new Uint8Array(await (await fetch((document.documentElement.dataset.root || "") + "/public/results/" + no + ".json", {cache: "no-store"})).arrayBuffer());
    var docHash = hex(await sha(data)), logged = JSON.parse(proof.publication.entry), doc = JSON.parse(new TextDecoder().decode(data));
    var ok = step(docHash === logged.doc_sha256, "公示内容的 SHA-256（" + docHash.slice(0, 16) + "…）与审计日志中记录的一致");
    ok = await entryProof("公示日志条目", proof.publication, proof.checkpoint.root, proof.checkpoint.size) && ok;
    var receipt = JSON.parse(proof.record.receipt.entry);
    ok = step(receipt.envelope_sha256 === doc.record.envelope_sha256 && logged.record_envelope_sha256 === doc.record.envelope_sha256,
              "公示所依据的签名检查记录（" + doc.record.envelope_sha256.slice(0, 16) + "…）在日志中") && ok;
    ok = await entryProof("记录接收日志条目", proof.record.receipt, proof.checkpoint.root, proof.checkpoint.size) && ok;
    ok = await signature(proof.checkpoint, proof.public_key) && ok;
    verdict.textContent = ok ? "一致：本条公示未被改动，且已记入审计日志。" : "不一致：请保存本页和 proof.json 并向监督机构反映。";
    verdict.className = ok ? "ok" : "bad";
  }
  run_button.addEventListener("click", function () {
    run().catch(function (e) { verdict.textContent = "核验未能完成：" + e; verdict.className = "bad"; });
  });
})();
