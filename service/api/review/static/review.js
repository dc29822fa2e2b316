/* The review page's interaction: click or focus a value to highlight its span in the source; hover a
 * highlighted span to see which value it feeds, or click it to go to that value; show a failed check's cells. Plain DOM, no build step.
 * The server pre-split the source at every span boundary, so no character offsets are computed here:
 * a value names its first and last segment (data-first, data-last) and its ref id (data-ref). */
(function () {
  "use strict";
  var lit = [];

  function clear() {
    lit.forEach(function (el) { el.classList.remove("hl", "active"); });
    lit = [];
  }

  function segNumber(id) { return +id.slice(id.lastIndexOf("s") + 1); }

  function segmentsOf(val) {
    var first = val.getAttribute("data-first"), last = val.getAttribute("data-last"), ref = val.getAttribute("data-ref");
    var stem = first.slice(0, first.lastIndexOf("s") + 1), out = [];
    for (var n = segNumber(first); n <= segNumber(last); n++) {
      var seg = document.getElementById(stem + n);
      if (seg && (" " + seg.getAttribute("data-refs") + " ").indexOf(" " + ref + " ") >= 0) { out.push(seg); }
    }
    return out;
  }

  function reveal(seg) {
    var pane = seg.closest("pre.source");
    if (!pane) { return; }
    var rect = pane.getBoundingClientRect();
    if (rect.bottom < 0 || rect.top > window.innerHeight) { pane.scrollIntoView({ block: "nearest" }); }
    pane.scrollTop = Math.max(0, seg.offsetTop - pane.clientHeight / 3);
  }

  function show(val) {
    clear();
    var segs = segmentsOf(val);
    segs.forEach(function (seg) { seg.classList.add("hl"); });
    val.classList.add("active");
    lit = segs.concat([val]);
    if (segs.length) {
      reveal(segs[0]);
      // What hovering the span would say, announced for keyboard and screen-reader users too.
      announce(segs[0], "已高亮：" + (val.getAttribute("title") || val.getAttribute("data-key")));
    }
  }

  function announce(seg, text) {
    var info = seg.closest(".source-pane").querySelector(".hover-info");
    if (info) { info.textContent = text; }
  }

  var valuesByRef = null;
  function valuesOf(ref) {
    if (!valuesByRef) {
      valuesByRef = {};
      document.querySelectorAll("[data-ref]").forEach(function (el) {
        (valuesByRef[el.getAttribute("data-ref")] = valuesByRef[el.getAttribute("data-ref")] || []).push(el);
      });
    }
    return valuesByRef[ref] || [];
  }

  var hovered = [];
  function unhover() {
    hovered.forEach(function (el) { el.classList.remove("hover", "linked"); });
    hovered = [];
  }

  function hover(seg) {
    unhover();
    var refs = seg.getAttribute("data-refs").split(" ");
    seg.classList.add("hover");
    hovered.push(seg);
    refs.forEach(function (ref) {
      valuesOf(ref).forEach(function (val) {
        var holder = val.closest("td") || val;
        holder.classList.add("linked");
        hovered.push(holder);
      });
    });
    announce(seg, "此处对应：" + seg.getAttribute("title"));
  }

  function showCheck(item) {
    var report = item.closest(".report"), keys = item.getAttribute("data-keys").split(" ");
    report.querySelectorAll(".check-hl").forEach(function (el) { el.classList.remove("check-hl"); });
    report.querySelectorAll(".check.selected").forEach(function (el) { el.classList.remove("selected"); });
    item.classList.add("selected");
    var firstCell = null;
    keys.forEach(function (key) {
      var td = report.querySelector('td[data-cell="' + key + '"]');
      if (td) { td.classList.add("check-hl"); firstCell = firstCell || td; }
    });
    if (firstCell) { firstCell.scrollIntoView({ block: "center" }); }
  }

  document.addEventListener("click", function (event) {
    var val = event.target.closest("a.val[data-first]");
    if (val) {
      event.preventDefault();
      show(val);
      return;
    }
    var seg = event.target.closest("pre.source .ref");
    if (seg) {  // the other way round: from the text to the value it feeds
      var values = valuesOf(seg.getAttribute("data-refs").split(" ")[0]);
      if (values.length) {
        show(values[0]);
        values[0].scrollIntoView({ block: "center" });
      }
      return;
    }
    var button = event.target.closest("button.show-cells");
    if (button) { showCheck(button.closest(".check")); }
  });
  document.addEventListener("focusin", function (event) {
    var val = event.target.closest && event.target.closest("a.val[data-first]");
    if (val) { show(val); }
  });
  document.addEventListener("mouseover", function (event) {
    var seg = event.target.closest && event.target.closest("pre.source .ref");
    if (seg) { hover(seg); } else if (hovered.length) { unhover(); }
  });
  document.querySelectorAll("button.show-cells").forEach(function (b) { b.hidden = false; });
  document.documentElement.classList.add("js");
})();
