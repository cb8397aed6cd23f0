// A witness's page (/witness/{token}): the nonce is made (or typed) here, in the witness's own
// browser, and never sent before the beacon's time; only its commitment is posted.
// DRAW_SPEC §2: a nonce is lowercase hex of 16 to 64 bytes; commitment = hex(SHA-256(nonce bytes)).
// A file, not an inline script: the pages' Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var NONCE = /^(?:[0-9a-f]{2}){16,64}$/;
  function $(id) { return document.getElementById(id); }
  function hex(bytes) { return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function bytesOf(h) { var out = new Uint8Array(h.length / 2); for (var i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16); return out; }
  function commitmentOf(nonce) {
    return crypto.subtle.digest("SHA-256", bytesOf(nonce)).then(function (d) { return hex(new Uint8Array(d)); });
  }
  var status = $("keep-status");
  function say(text) { if (status) status.textContent = text; }

  var maker = $("maker");
  if (maker) {
    if (!window.crypto || !crypto.subtle || !crypto.getRandomValues) {
      maker.hidden = false;
      maker.textContent = "本浏览器不能在此生成随机数（需通过 HTTPS 访问）。请在别处生成随机数并计算承诺值，填入下方。";
    } else {
      maker.hidden = false;
      var shown = $("nonce-shown"), box = $("nonce-box"), field = $("f-commitment"), kept = $("kept");
      var made = false;
      var show = function (nonce) {
        return commitmentOf(nonce).then(function (c) {
          shown.value = nonce; box.hidden = false; field.value = c; made = true; kept.checked = false;
          say("承诺值已计算并填入下方；请先保存随机数。");
        });
      };
      $("make-nonce").addEventListener("click", function () {
        $("own-nonce").value = "";
        show(hex(crypto.getRandomValues(new Uint8Array(32))));
      });
      $("own-nonce").addEventListener("input", function (e) {
        var text = e.target.value.trim();
        if (NONCE.test(text)) { show(text); }
        else { box.hidden = true; field.value = ""; made = false;
          say(text ? "随机数须为 32 至 128 位小写十六进制数字（0–9、a–f），位数为偶数。" : ""); }
      });
      $("copy-nonce").addEventListener("click", function () {
        var done = function () { say("已复制随机数。"); };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(shown.value).then(done, function () { shown.select(); document.execCommand("copy"); done(); });
        } else { shown.select(); document.execCommand("copy"); done(); }
      });
      $("download-nonce").addEventListener("click", function () {
        var text = "见证抽取：" + document.querySelector("h1").textContent + "\n见证人：" + $("witness-name").textContent +
          "\n随机数（揭示时原样提交，请勿外传）：" + shown.value + "\n承诺值（已提交）：" + field.value + "\n";
        var a = document.createElement("a");
        a.href = URL.createObjectURL(new Blob([text], {type: "text/plain;charset=utf-8"}));
        a.download = "见证随机数.txt";
        document.body.appendChild(a); a.click(); a.remove();
        say("已下载随机数文件。");
      });
      $("print-nonce").addEventListener("click", function () { window.print(); });
      $("commit-form").addEventListener("submit", function (e) {
        if (made && !kept.checked) { e.preventDefault(); say("请先保存随机数（复制、下载或打印），再勾选“我已保存好这个随机数”。"); kept.focus(); }
      });
    }
  }

  var nonceField = $("f-nonce"), mine = $("my-commitment");
  if (nonceField && mine && window.crypto && crypto.subtle) {
    var hint = document.createElement("small"); hint.id = "nonce-check"; hint.setAttribute("role", "status");
    nonceField.insertAdjacentElement("afterend", hint);
    nonceField.addEventListener("input", function () {
      var text = nonceField.value.trim();
      if (!NONCE.test(text)) { hint.textContent = text ? "格式不对：应为 32 至 128 位小写十六进制数字。" : ""; return; }
      commitmentOf(text).then(function (c) {
        hint.textContent = c === mine.textContent.trim() ? "与您的承诺值相符。" : "与您的承诺值不符，请核对。";
      });
    });
  }
})();
