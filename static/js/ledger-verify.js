// Recomputes an RFC 6962 inclusion proof in the visitor's browser (WebCrypto SHA-256),
// so the page does not ask anyone to trust the server's own "proof holds".
(function () {
  "use strict";
  var source = document.getElementById("ledger-proof");
  var verdict = document.getElementById("browser-verdict");
  if (!source || !verdict || !window.crypto || !crypto.subtle) return;
  var proof = JSON.parse(JSON.parse(source.textContent));

  function hex(bytes) {
    return Array.from(new Uint8Array(bytes), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  function unhex(text) {
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }
  function sha256(prefix, parts) {
    var size = 1 + parts.reduce(function (n, p) { return n + p.length; }, 0);
    var buffer = new Uint8Array(size);
    buffer[0] = prefix;
    var offset = 1;
    parts.forEach(function (p) { buffer.set(p, offset); offset += p.length; });
    return crypto.subtle.digest("SHA-256", buffer).then(function (d) { return new Uint8Array(d); });
  }

  // RFC 9162 section 2.1.3.2.
  async function verify() {
    var value = await sha256(0, [new TextEncoder().encode(proof.data)]);
    var fn = proof.index, sn = proof.tree_size - 1;
    for (var i = 0; i < proof.audit_path.length; i++) {
      var sibling = unhex(proof.audit_path[i]);
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        value = await sha256(1, [sibling, value]);
        while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        value = await sha256(1, [value, sibling]);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && hex(value) === proof.root_hash;
  }

  verify().then(function (ok) {
    verdict.textContent = ok ? "verified in your browser" : "proof does NOT verify";
    verdict.className = "status-pill " + (ok ? "status-ok" : "status-pending");
  });
})();
