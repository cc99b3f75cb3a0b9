// Green card scan page: the phone's camera through the BarcodeDetector API where the browser has it (Chrome on
// Android, Safari 17+ with the flag, …), otherwise the pasted or scanner-typed token. No CDN, no inline script (CSP).
// A detected token is put into the form's textarea and the form is submitted (htmx posts it and shows the result).
(function () {
  "use strict";
  var root = document.getElementById("gc-scanner");
  var form = document.getElementById("verify-form");
  if (!root || !form) { return; }
  var video = document.getElementById("gc-video");
  var start = document.getElementById("gc-start");
  var status = document.getElementById("gc-scan-status");
  var token = form.querySelector("textarea[name=token]");
  var channel = form.querySelector("input[name=channel]");
  var stream = null;
  var busy = false;
  var last = "";

  function say(text) { if (status) { status.textContent = text; } }

  function submit(value, how) {
    token.value = value;
    if (channel) { channel.value = how; }
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
  }

  // Paste: mark the channel, so the scan log tells a camera scan from a pasted token.
  token.addEventListener("paste", function () { if (channel) { channel.value = "paste"; } });
  form.addEventListener("submit", function () {
    if (channel && !channel.value) { channel.value = "paste"; }
  });
  // After each result, clear the field for the next card.
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.target && e.target.id === "verify-result") { token.value = ""; busy = false; }
  });

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    start.disabled = true;
    say(root.dataset.unsupported || "");
    return;
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.classList.add("d-none");
  }

  start.addEventListener("click", function () {
    if (stream) { stop(); return; }
    var detector;
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (err) {
      say(root.dataset.unsupported || ""); return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.classList.remove("d-none");
      return video.play();
    }).then(function () {
      function tick() {
        if (!stream) { return; }
        if (busy || video.readyState < 2) { window.requestAnimationFrame(tick); return; }
        detector.detect(video).then(function (codes) {
          var found = codes && codes.length ? String(codes[0].rawValue || "").trim() : "";
          if (found && found !== last) {
            last = found;
            busy = true;
            submit(found, "scan");
            window.setTimeout(function () { last = ""; }, 3000);
          }
          window.requestAnimationFrame(tick);
        }).catch(function () { window.requestAnimationFrame(tick); });
      }
      tick();
    }).catch(function () { stop(); say(root.dataset.denied || ""); });
  });
})();
