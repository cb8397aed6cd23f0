// The browser check of a draw (/public/tasks/{id}): fetches the published announcement.json,
// reveal.json and result.json and recomputes the draw per DRAW_SPEC.md (ssj-draw-v1) here, in
// the browser, then compares the result byte for byte with the published one. Independent of the
// server's code: RFC 8785 (JCS), SHA-256 and HMAC-SHA-256 (WebCrypto), integers exact (BigInt
// where a product can pass 2^53). A file, not an inline script (the Content-Security-Policy).
(function () {
  "use strict";
  var D = 1000000, DB = 1000000n, ALGO = "ssj-draw-v1";
  var ANNOUNCEMENT = ["algo", "announced_at", "beacon", "beacon_at", "commitments", "exclusions", "inspectors",
                      "risk_weights", "specialty", "strata", "task", "team_size", "units"];
  var REVEAL = ["announcement_hash", "beacon_value", "nonces"];
  var NONCE = /^(?:[0-9a-f]{2}){16,64}$/, COMMITMENT = /^[0-9a-f]{64}$/;
  var TIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?Z$/;
  var utf8 = new TextEncoder();

  function Bad(text) { this.text = text; }
  function need(ok, text) { if (!ok) throw new Bad(text); }
  function hex(bytes) { var s = ""; for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16); return s; }
  function fromHex(h) { var out = new Uint8Array(h.length / 2); for (var i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16); return out; }
  function concat(a, b) { var out = new Uint8Array(a.length + b.length); out.set(a); out.set(b, a.length); return out; }
  async function sha(data) { return new Uint8Array(await crypto.subtle.digest("SHA-256", data)); }

  // --- RFC 8785: keys by UTF-16 code units (JavaScript's own sort), strings as JSON.stringify ---
  function jcs(v) {
    if (v === null) return "null";
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") { need(Number.isSafeInteger(v), "文件中有非整数的数值：" + v); return String(v); }
    if (typeof v === "string") return JSON.stringify(v);
    if (Array.isArray(v)) return "[" + v.map(jcs).join(",") + "]";
    return "{" + Object.keys(v).sort().map(function (k) { return JSON.stringify(k) + ":" + jcs(v[k]); }).join(",") + "}";
  }
  // §7: ids by Unicode code point (UTF-8 byte order), not by UTF-16 code unit.
  function cmp(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      var x = a.charCodeAt(i), y = b.charCodeAt(i);
      if (x !== y) {
        x = x >= 0xD800 && x <= 0xDFFF ? x + 0x2000 : (x >= 0xE000 ? x - 0x800 : x);
        y = y >= 0xD800 && y <= 0xDFFF ? y + 0x2000 : (y >= 0xE000 ? y - 0x800 : y);
        return x < y ? -1 : 1;
      }
    }
    return a.length - b.length;
  }
  function sortedOnce(ids, what) {
    for (var i = 1; i < ids.length; i++) need(cmp(ids[i - 1], ids[i]) < 0, what + " 必须按编号排序且不重复（" + ids[i] + " 处）");
  }
  function exactly(obj, keys, what) {
    need(obj !== null && typeof obj === "object" && !Array.isArray(obj), what + " 必须是对象");
    var have = Object.keys(obj).sort();
    need(have.length === keys.length && have.every(function (k, i) { return k === keys[i]; }),
         what + " 只能且必须含字段 " + keys.join("、") + "（实际：" + have.join("、") + "）");
    return obj;
  }
  function str(v, what) { need(typeof v === "string", what + " 必须是文本"); return v; }
  function int(v, what) { need(Number.isSafeInteger(v), what + " 必须是整数"); return v; }
  function arr(v, what) { need(Array.isArray(v), what + " 必须是数组"); return v; }
  function instant(v, what) {
    var m = typeof v === "string" && TIME.exec(v);
    need(m, what + " 必须是以 Z 结尾的 UTC 时间（RFC 3339）");
    var key = m.slice(1, 7).map(Number), day = new Date(Date.UTC(key[0], key[1] - 1, key[2]));
    need(day.getUTCFullYear() === key[0] && day.getUTCMonth() === key[1] - 1 && day.getUTCDate() === key[2] &&
         key[3] <= 23 && key[4] <= 59 && (key[5] <= 59 || (key[3] === 23 && key[4] === 59 && key[5] === 60)), what + " 不是有效的时间");
    return {key: key, frac: (m[7] || "").replace(/0+$/, "")};
  }
  function before(a, b) {
    for (var i = 0; i < 6; i++) if (a.key[i] !== b.key[i]) return a.key[i] < b.key[i];
    var n = Math.max(a.frac.length, b.frac.length);
    return a.frac.padEnd(n, "0") < b.frac.padEnd(n, "0");
  }

  // --- §1 the announcement ---
  function plan(a) {
    exactly(a, ANNOUNCEMENT, "announcement");
    need(a.algo === ALGO, "algo 必须是 " + ALGO);
    str(a.task, "task"); str(a.specialty, "specialty"); str(a.beacon, "beacon");
    need(before(instant(a.announced_at, "announced_at"), instant(a.beacon_at, "beacon_at")), "beacon_at 必须晚于 announced_at");
    need(int(a.team_size, "team_size") >= 2, "team_size 至少为 2");
    arr(a.commitments, "commitments").forEach(function (c, i) { need(typeof c === "string" && COMMITMENT.test(c), "第 " + (i + 1) + " 个承诺值必须是 64 位小写十六进制"); });
    var weights = a.risk_weights;
    need(weights !== null && typeof weights === "object" && !Array.isArray(weights), "risk_weights 必须是对象");
    Object.keys(weights).forEach(function (k) { need(int(weights[k], "risk_weights." + k) >= 1, "风险权重必须为正整数"); });
    var strata = arr(a.strata, "strata").map(function (s) { exactly(s, ["n", "name"], "strata[]");
      return {name: str(s.name, "strata[].name"), n: int(s.n, "strata[].n"), ids: [], weights: []}; });
    var byName = {};
    strata.forEach(function (s) { need(!Object.prototype.hasOwnProperty.call(byName, s.name), "分层名称不能重复"); byName[s.name] = s; });
    var ids = arr(a.units, "units").map(function (u) {
      exactly(u, ["id", "risk", "stratum"], "units[]");
      str(u.id, "units[].id");
      need(Object.prototype.hasOwnProperty.call(byName, u.stratum), "未知的分层：" + u.stratum);
      need(Object.prototype.hasOwnProperty.call(weights, u.risk), "未知的风险等级：" + u.risk);
      byName[u.stratum].ids.push(u.id); byName[u.stratum].weights.push(weights[u.risk]);
      return u.id;
    });
    sortedOnce(ids, "units");
    strata.forEach(function (s) { need(s.n >= 0 && s.n <= s.ids.length, "分层 " + s.name + " 的抽取数超出范围"); });
    var inspectors = arr(a.inspectors, "inspectors").map(function (p) {
      exactly(p, ["id", "load", "specialties"], "inspectors[]");
      need(int(p.load, "inspectors[].load") >= 0, "工作量不能为负数");
      arr(p.specialties, "inspectors[].specialties").forEach(function (x) { str(x, "inspectors[].specialties[]"); });
      return {id: str(p.id, "inspectors[].id"), load: p.load, holds: p.specialties.indexOf(a.specialty) >= 0};
    });
    sortedOnce(inspectors.map(function (p) { return p.id; }), "inspectors");
    var exclusions = {};
    arr(a.exclusions, "exclusions").forEach(function (e) {
      exactly(e, ["inspector", "reason", "unit"], "exclusions[]");
      need(e.reason === "recusal" || e.reason === "rotation", "排除原因必须是 recusal 或 rotation");
      (exclusions[str(e.unit, "exclusions[].unit")] = exclusions[e.unit] || {})[str(e.inspector, "exclusions[].inspector")] = true;
    });
    return {strata: strata, teamSize: a.team_size, inspectors: inspectors.filter(function (p) { return p.holds; }),
            exclusions: exclusions, commitments: a.commitments};
  }

  // --- §2 the reveal and the seed ---
  async function openReveal(ahash, p, r) {
    exactly(r, REVEAL, "reveal");
    str(r.beacon_value, "beacon_value");
    var nonces = arr(r.nonces, "nonces");
    nonces.forEach(function (n, i) { need(typeof n === "string" && NONCE.test(n), "第 " + (i + 1) + " 个随机数必须是 16 至 64 字节的小写十六进制"); });
    need(r.announcement_hash === ahash, "揭示文件中的公告哈希与公告的实际哈希不一致");
    need(nonces.length === p.commitments.length, "随机数个数（" + nonces.length + "）与承诺个数（" + p.commitments.length + "）不一致");
    for (var i = 0; i < nonces.length; i++) need(hex(await sha(fromHex(nonces[i]))) === p.commitments[i], "第 " + (i + 1) + " 个随机数与其承诺值不符");
    return sha(concat(utf8.encode(ALGO + "\u0000"), utf8.encode(jcs({announcement: ahash, beacon: r.beacon_value, nonces: nonces}))));
  }

  // --- §3 inclusion probabilities (integers) ---
  function pis(weights, n) {
    var w = weights.map(BigInt), certain = weights.map(function () { return false; }), m, W;
    for (;;) {
      m = BigInt(n - certain.filter(Boolean).length); W = 0n;
      w.forEach(function (x, i) { if (!certain[i]) W += x; });
      var more = false;
      w.forEach(function (x, i) { if (!certain[i] && m * x >= W) { certain[i] = more = true; } });
      if (!more) break;
    }
    var pi = [], rem = [], R = [], total = 0n;
    w.forEach(function (x, i) {
      if (certain[i]) { pi.push(D); rem.push(0n); return; }
      var q = m * DB * x / W; pi.push(Number(q)); rem.push(m * DB * x % W); R.push(i); total += q;
    });
    var r = Number(m * DB - total);
    R.sort(function (i, j) { return rem[i] > rem[j] ? -1 : rem[i] < rem[j] ? 1 : i - j; });   // ids are in order
    for (var k = 0; k < r; k++) pi[R[k]] += 1;
    return pi;
  }

  // --- §4 systematic selection, §5 teams ---
  function macer(key) {
    var k = crypto.subtle.importKey("raw", key, {name: "HMAC", hash: "SHA-256"}, false, ["sign"]);
    return async function (text) { return new Uint8Array(await crypto.subtle.sign("HMAC", await k, utf8.encode(text))); };
  }
  async function select(mac, s, pi) {
    var keys = await Promise.all(s.ids.map(function (id) { return mac("ord|" + s.name + "|" + id).then(hex); }));
    var order = s.ids.map(function (_, i) { return i; });
    order.sort(function (i, j) { return keys[i] < keys[j] ? -1 : keys[i] > keys[j] ? 1 : cmp(s.ids[i], s.ids[j]); });
    var u = Number(BigInt("0x" + hex(await mac("start|" + s.name))) % DB), cum = 0, picked = [];
    order.forEach(function (i) {
      var lo = cum, hi = cum + pi[i]; cum = hi;
      var first = lo <= u ? u : u + Math.ceil((lo - u) / D) * D;   // the first u + k·D at or after lo
      if (first < hi) picked.push(i);
    });
    return picked;
  }
  async function team(mac, unit, p, load) {
    var excluded = p.exclusions[unit] || {};
    var eligible = p.inspectors.filter(function (q) { return !excluded[q.id]; });
    if (eligible.length < p.teamSize) return null;
    var levels = {}, chosen = [];
    eligible.forEach(function (q) { (levels[load[q.id]] = levels[load[q.id]] || []).push(q.id); });
    var order = Object.keys(levels).map(Number).sort(function (a, b) { return a - b; });
    for (var l = 0; l < order.length && chosen.length < p.teamSize; l++) {
      var ids = levels[order[l]];
      var macs = await Promise.all(ids.map(function (id) { return mac("insp|" + unit + "|" + id).then(hex); }));
      var ranked = ids.map(function (id, i) { return [macs[i], id]; }).sort(function (x, y) { return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0; });
      for (var i = 0; i < ranked.length && chosen.length < p.teamSize; i++) chosen.push(ranked[i][1]);
    }
    chosen.forEach(function (id) { load[id] += 1; });
    return chosen;
  }

  async function compute(announcement, reveal) {
    var p = plan(announcement), ahash = hex(await sha(utf8.encode(jcs(announcement))));
    var seed = await openReveal(ahash, p, reveal), mac = macer(seed), drawn = [];
    for (var s = 0; s < p.strata.length; s++) {
      var st = p.strata[s], pi = pis(st.weights, st.n), picked = await select(mac, st, pi);
      picked.forEach(function (i, r) { drawn.push({stratum: st.name, rank: r + 1, unit: st.ids[i], pi: pi[i]}); });
    }
    var load = {}, selected = [], unmatched = [];
    p.inspectors.forEach(function (q) { load[q.id] = q.load; });
    for (var d = 0; d < drawn.length; d++) {
      var t = await team(mac, drawn[d].unit, p, load);
      if (t) selected.push({stratum: drawn[d].stratum, rank: drawn[d].rank, unit: drawn[d].unit, pi: drawn[d].pi, team: t});
      else unmatched.push(drawn[d]);
    }
    return {ahash: ahash, result: {announcement_hash: ahash, seed: hex(seed), selected: selected, unmatched: unmatched}};
  }

  // --- the page ---
  var button = document.getElementById("drawcheck-run");
  if (!button) return;
  var steps = document.getElementById("drawcheck-steps"), verdict = document.getElementById("drawcheck-verdict");
  function step(ok, text) { var li = document.createElement("li"); li.className = ok ? "ok" : "bad";
    li.textContent = (ok ? "✔ " : "✘ ") + text; steps.appendChild(li); return ok; }
  async function file(name) {
    var response = await fetch((document.documentElement.dataset.root || "") + "/public/tasks/" + encodeURIComponent(button.dataset.task) + "/" + name + ".json", {cache: "no-store"});
    if (!response.ok) throw new Bad("无法下载 " + name + ".json（HTTP " + response.status + "）");
    var bytes = new Uint8Array(await response.arrayBuffer()), text = new TextDecoder("utf-8", {fatal: true}).decode(bytes), value;
    try { value = JSON.parse(text); } catch (e) { throw new Bad(name + ".json 不是有效的 JSON"); }
    return {bytes: bytes, text: text, value: value};
  }
  function firstDifference(mine, theirs) {
    if (!theirs || typeof theirs !== "object") return "result.json 不是对象";
    if (theirs.seed !== mine.seed) return "种子不同";
    var lists = [["selected", "抽中并配齐检查组"], ["unmatched", "待人工处理"]];
    for (var l = 0; l < lists.length; l++) {
      var a = mine[lists[l][0]], b = theirs[lists[l][0]] || [];
      for (var i = 0; i < Math.max(a.length, b.length); i++)
        if (jcs(a[i] === undefined ? null : a[i]) !== jcs(b[i] === undefined ? null : b[i]))
          return lists[l][1] + "第 " + (i + 1) + " 项不同：计算得 " + (a[i] ? a[i].unit : "（无）") + "，公布的是 " + (b[i] ? b[i].unit : "（无）");
    }
    return "字段或格式不同";
  }
  async function run() {
    steps.textContent = ""; verdict.textContent = "正在核验…"; verdict.className = "";
    if (!window.crypto || !crypto.subtle) { verdict.textContent = "本浏览器不能计算哈希（需 HTTPS 访问），请下载三个文件用核验程序离线核验。"; return; }
    var a = await file("announcement"), r = await file("reveal"), res = await file("result"), ok = true;
    [[a, "announcement"], [r, "reveal"], [res, "result"]].forEach(function (f) {
      var canonical = false;
      try { canonical = jcs(f[0].value) === f[0].text; } catch (e) { canonical = false; }
      ok = step(canonical, f[1] + ".json 是规范 JSON（RFC 8785，无重复字段、无小数）") && ok;
    });
    var made;
    try { made = await compute(a.value, r.value); }
    catch (e) { if (e instanceof Bad) { step(false, "无法按算法计算：" + e.text); throw e; } throw e; }
    ok = step(made.ahash === button.dataset.announcementHash, "公告哈希 " + made.ahash.slice(0, 16) + "… 与本页公布的一致") && ok;
    step(true, "揭示文件指向本公告，" + r.value.nonces.length + " 个随机数均与其承诺值相符；种子 " + made.result.seed.slice(0, 16) + "…");
    var text = jcs(made.result);
    document.getElementById("drawcheck-computed").textContent = text;
    document.getElementById("drawcheck-details").hidden = false;
    var same = text === res.text;
    ok = step(same, same ? "重新计算的结果与公布的 result.json 逐字节一致（抽中 " + made.result.selected.length + " 户，待人工处理 " + made.result.unmatched.length + " 户）"
                         : "重新计算的结果与公布的 result.json 不一致：" + firstDifference(made.result, res.value)) && ok;
    var rhash = hex(await sha(utf8.encode(text)));
    ok = step(rhash === button.dataset.resultHash, "结果哈希 " + rhash.slice(0, 16) + "… 与本页公布的一致") && ok;
    verdict.textContent = ok ? "一致：按公开算法在本浏览器中重新计算，抽取结果与公布的完全相同。" : "不一致：请保存本页和三个文件，并向监督机构或纪检部门反映。";
    verdict.className = ok ? "ok" : "bad";
    button.dataset.verdict = ok ? "agree" : "disagree";
  }
  button.addEventListener("click", function () {
    run().catch(function (e) {
      verdict.textContent = "不一致：" + (e instanceof Bad ? e.text : "核验未能完成：" + e); verdict.className = "bad";
      button.dataset.verdict = "disagree";
    });
  });
})();
