// Charts for the sites page, drawn as inline SVG from the JSON the page embeds (#site-days):
// one row per site and day. No library, nothing loaded from elsewhere.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];
  var W = 560, H = 190, LEFT = 52, RIGHT = 10, TOP = 10, BOTTOM = 26;

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function dayRange(rows) {
    var days = rows.map(function (r) { return r.day; }).sort();
    if (!days.length) return [];
    var out = [], at = new Date(days[0] + "T00:00:00Z"), end = new Date(days[days.length - 1] + "T00:00:00Z");
    while (at <= end && out.length < 3700) {
      out.push(at.toISOString().slice(0, 10));
      at = new Date(at.getTime() + 86400000);
    }
    return out;
  }

  function niceMax(value, percent) {
    if (percent) return 1;
    if (value <= 0) return 1;
    var step = Math.pow(10, Math.floor(Math.log10(value)));
    var nice = [1, 2, 4, 6, 8, 10].map(function (m) { return m * step; }).find(function (m) { return m >= value; });
    return nice || value;
  }

  function label(value, percent) {
    if (percent) return Math.round(value * 100) + "%";
    return value >= 10000 ? Math.round(value / 1000) + "k" : String(Math.round(value * 10) / 10);
  }

  function draw(box, rows, days, sites) {
    var metric = box.dataset.metric, bars = box.dataset.kind === "bars", percent = box.dataset.format === "percent";
    var value = {};
    rows.forEach(function (r) { value[r.site + "|" + r.day] = r[metric]; });
    var top = 0;
    days.forEach(function (day) {
      var stack = 0;
      sites.forEach(function (site) {
        var v = value[site + "|" + day] || 0;
        stack = bars ? stack + v : Math.max(stack, v);
      });
      top = Math.max(top, stack);
    });
    var max = niceMax(top, percent);
    var plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM, step = plotW / Math.max(days.length, 1);
    var x = function (i) { return LEFT + step * i + step / 2; };
    var y = function (v) { return TOP + plotH - (v / max) * plotH; };
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": box.parentNode.textContent.trim() });

    [0, 0.5, 1].forEach(function (f) {
      svg.appendChild(el("line", { x1: LEFT, x2: W - RIGHT, y1: y(max * f), y2: y(max * f), class: "grid" }));
      svg.appendChild(el("text", { x: LEFT - 6, y: y(max * f) + 4, "text-anchor": "end", class: "tick" }, label(max * f, percent)));
    });
    var shown = days.length <= 3 ? days.map(function (_, i) { return i; }) : [0, Math.floor((days.length - 1) / 2), days.length - 1];
    shown.forEach(function (i) {
      svg.appendChild(el("text", { x: x(i), y: H - 8, "text-anchor": "middle", class: "tick" }, days[i].slice(5)));
    });

    sites.forEach(function (site, s) {
      var color = COLORS[s % COLORS.length], points = [];
      days.forEach(function (day, i) {
        var v = value[site + "|" + day];
        if (bars) return;
        if (v === undefined) { points.push(null); return; }
        points.push([x(i), y(v)]);
      });
      if (!bars) {
        var path = "", pen = false;
        points.forEach(function (p) {
          if (!p) { pen = false; return; }
          path += (pen ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1);
          pen = true;
        });
        if (path) svg.appendChild(el("path", { d: path, class: "line", stroke: color, "data-site": site }));
        points.forEach(function (p) {
          if (p && days.length <= 60) svg.appendChild(el("circle", { cx: p[0], cy: p[1], r: 2.5, fill: color, class: "point" }));
        });
      }
    });
    if (bars) {
      days.forEach(function (day, i) {
        var base = 0;
        sites.forEach(function (site, s) {
          var v = value[site + "|" + day] || 0;
          if (!v) return;
          var rect = el("rect", {
            x: x(i) - Math.max(step * 0.35, 0.5), width: Math.max(step * 0.7, 1),
            y: y(base + v), height: Math.max(y(base) - y(base + v), 0.5),
            fill: COLORS[s % COLORS.length], class: "bar", "data-site": site,
          });
          rect.appendChild(el("title", {}, site + " " + day + ": " + label(v, percent)));
          svg.appendChild(rect);
          base += v;
        });
      });
    }
    box.appendChild(svg);
  }

  function legend(container, sites) {
    var list = document.createElement("ul");
    list.className = "legend";
    sites.forEach(function (site, s) {
      var item = document.createElement("li"), swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = COLORS[s % COLORS.length];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(site));
      list.appendChild(item);
    });
    container.parentNode.insertBefore(list, container);
  }

  var source = document.getElementById("site-days"), container = document.getElementById("charts");
  if (!source || !container) return;
  var rows = JSON.parse(source.textContent);
  if (!rows.length) {
    container.textContent = "No articles in these days.";
    return;
  }
  var sites = Array.from(new Set(rows.map(function (r) { return r.site; }))).sort();
  var days = dayRange(rows);
  legend(container, sites);
  container.querySelectorAll(".chart").forEach(function (box) { draw(box, rows, days, sites); });
  container.dataset.drawn = String(container.querySelectorAll("svg").length);
})();
