/* Organisation maps (kam.stakeholders.orgchart): collapse a branch, search, zoom and pan.
 *
 * Enhances every `svg.orgchart.interactive` on the page. The server draws the whole map; this script only hides,
 * highlights and moves the view — it never builds markup from the people's data (no innerHTML), so a name is only
 * ever text. Loaded with `defer` from our own origin: the page's strict CSP needs nothing inline.
 *
 * - a `[data-toggle]` (role=button; click, Enter or Space) hides or shows everyone below that person and their lines;
 *   the layout keeps its place (nothing is recomputed); `data-collapse-below="n"` on the chart starts with the
 *   managers at level n collapsed;
 * - `input[data-orgchart-search]` (its value, if any, a selector for the chart — as `data-orgchart` on any control;
 *   else every chart): highlights the
 *   people whose name or title holds the text, dims the rest; Enter opens the branches hiding the first match and
 *   centres the view on it; an element `[data-orgchart-count]` (optional) tells how many matched;
 * - `[data-orgchart-zoom="in|out|reset"]` buttons, ctrl+wheel (around the pointer) and dragging the background change
 *   the viewBox; "reset" shows the whole map.
 */
(function () {
  "use strict";

  var charts = [];

  function setup(svg) {
    var nodes = {};
    var children = {};
    var list = Array.prototype.slice.call(svg.querySelectorAll("g.node[data-id]"));
    list.forEach(function (node) {
      var id = node.getAttribute("data-id");
      var parent = node.getAttribute("data-parent") || "";
      nodes[id] = node;
      (children[parent] = children[parent] || []).push(id);
    });
    var edges = Array.prototype.slice.call(svg.querySelectorAll("[data-from]"));
    var collapsed = {};
    var full = svg.viewBox.baseVal;
    var home = { x: full.x, y: full.y, width: full.width, height: full.height };
    var chart = { svg: svg, nodes: nodes, list: list, home: home };

    function descendants(id, out) {
      var stack = (children[id] || []).slice();
      while (stack.length) {
        var next = stack.pop();
        if (out[next]) continue; // the server breaks circles; this guards against a hand-edited page anyway
        out[next] = true;
        Array.prototype.push.apply(stack, children[next] || []);
      }
      return out;
    }

    function refresh() {
      var hidden = {};
      Object.keys(collapsed).forEach(function (id) {
        if (collapsed[id]) descendants(id, hidden);
      });
      list.forEach(function (node) {
        show(node, !hidden[node.getAttribute("data-id")]);
      });
      edges.forEach(function (edge) {
        show(edge, !hidden[edge.getAttribute("data-from")] && !hidden[edge.getAttribute("data-to")]);
      });
      chart.hidden = hidden;
    }

    function toggle(button, open) {
      var id = button.getAttribute("data-toggle");
      collapsed[id] = open === undefined ? !collapsed[id] : !open;
      var count = Object.keys(descendants(id, {})).length;
      button.setAttribute("aria-expanded", collapsed[id] ? "false" : "true");
      button.classList.toggle("collapsed", !!collapsed[id]);
      var label = button.getAttribute("aria-label") || "";
      label = label.replace(/^(Collapse|Expand)/, collapsed[id] ? "Expand" : "Collapse");
      button.setAttribute("aria-label", label);
      var sign = button.querySelector("text");
      if (sign) sign.textContent = collapsed[id] ? "+" : "\u2212";
      var tip = button.querySelector("title") || button.appendChild(document.createElementNS(svg.namespaceURI, "title"));
      tip.textContent = collapsed[id] ? count + " hidden: show them" : "Hide the " + count + " below";
      refresh();
    }

    chart.open = function (id) {
      // Expand every collapsed manager above `id`, so a search hit is visible.
      var node = nodes[id];
      while (node) {
        var parent = node.getAttribute("data-parent");
        if (parent && collapsed[parent]) {
          var button = svg.querySelector('[data-toggle="' + CSS.escape(parent) + '"]');
          if (button) toggle(button, true);
        }
        node = parent ? nodes[parent] : null;
      }
    };

    svg.addEventListener("click", function (event) {
      var button = event.target.closest("[data-toggle]");
      if (button && svg.contains(button)) {
        event.preventDefault();
        toggle(button);
      }
    });
    svg.addEventListener("keydown", function (event) {
      var button = event.target.closest && event.target.closest("[data-toggle]");
      if (button && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        toggle(button);
      }
    });

    // Zoom: ctrl+wheel around the pointer (a plain wheel scrolls the page, as users expect).
    svg.addEventListener(
      "wheel",
      function (event) {
        if (!event.ctrlKey) return;
        event.preventDefault();
        zoom(chart, event.deltaY < 0 ? 1 / 1.2 : 1.2, pointer(svg, event));
      },
      { passive: false }
    );
    // Pan: drag the background (not a toggle).
    var drag = null;
    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || event.target.closest("[data-toggle]")) return;
      drag = { start: pointer(svg, event), id: event.pointerId };
      svg.setPointerCapture(event.pointerId);
      svg.classList.add("panning");
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) return;
      var now = pointer(svg, event);
      var box = svg.viewBox.baseVal;
      setView(svg, box.x - (now.x - drag.start.x), box.y - (now.y - drag.start.y), box.width, box.height);
    });
    function stop() {
      drag = null;
      svg.classList.remove("panning");
    }
    svg.addEventListener("pointerup", stop);
    svg.addEventListener("pointercancel", stop);

    // A big map may start as its top: the managers at level `data-collapse-below` (0: the roots) collapsed.
    var below = svg.getAttribute("data-collapse-below");
    if (below !== null && below !== "") {
      svg.querySelectorAll('g.node[data-depth="' + CSS.escape(below) + '"] [data-toggle]').forEach(function (button) {
        toggle(button, false);
      });
    }
    // Start readable: at 1:1 around the top person when the whole map would be shrunk, else the whole map.
    var shown = svg.getBoundingClientRect();
    if (shown.width && shown.height && home.width > shown.width * 1.5 && list.length) {
      var place = middle(list[0]);
      if (place) setView(svg, place.x - shown.width / 2, home.y, shown.width, shown.height);
    }
    refresh();
    return chart;
  }

  function show(element, visible) {
    if (visible) element.removeAttribute("display");
    else element.setAttribute("display", "none");
  }

  function setView(svg, x, y, width, height) {
    svg.setAttribute("viewBox", [x, y, width, height].map(function (v) { return Math.round(v * 10) / 10; }).join(" "));
  }

  function pointer(svg, event) {
    var matrix = svg.getScreenCTM();
    if (!matrix) return { x: 0, y: 0 };
    var point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    return { x: point.x, y: point.y };
  }

  function zoom(chart, factor, around) {
    var box = chart.svg.viewBox.baseVal;
    var width = Math.min(Math.max(box.width * factor, 120), chart.home.width * 4);
    var height = width * (box.height / box.width);
    var at = around || { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    var scale = width / box.width;
    setView(chart.svg, at.x - (at.x - box.x) * scale, at.y - (at.y - box.y) * scale, width, height);
  }

  function middle(node) {
    // The centre of a person's box, in the chart's units: the node's translation plus half its box.
    var place = node.transform.baseVal.consolidate();
    var box = node.querySelector("rect.box");
    if (!place || !box) return null;
    return {
      x: place.matrix.e + box.width.baseVal.value / 2,
      y: place.matrix.f + box.height.baseVal.value / 2,
    };
  }

  function centre(chart, node) {
    var box = chart.svg.viewBox.baseVal;
    var at = middle(node);
    if (!at) return;
    setView(chart.svg, at.x - box.width / 2, at.y - box.height / 2, box.width, box.height);
    chart.svg.scrollIntoView({ block: "nearest" });
  }

  function targets(control, selector) {
    // Which charts a control drives: those matching its selector (`data-orgchart`, or a search box's own value),
    // else every chart on the page.
    selector = selector || control.getAttribute("data-orgchart") || "";
    if (!selector) return charts;
    return charts.filter(function (chart) {
      try {
        return chart.svg.matches(selector);
      } catch (error) {
        return false; // not a selector: drive nothing rather than fail
      }
    });
  }

  function search(input, jump) {
    var text = input.value.trim().toLowerCase();
    var matches = 0;
    targets(input, input.getAttribute("data-orgchart-search")).forEach(function (chart) {
      var first = null;
      chart.list.forEach(function (node) {
        var hit = text !== "" && (node.getAttribute("data-search") || "").indexOf(text) !== -1;
        node.classList.toggle("match", hit);
        node.classList.toggle("dim", text !== "" && !hit);
        if (hit) {
          matches += 1;
          if (!first) first = node;
        }
      });
      chart.svg.classList.toggle("searching", text !== "");
      if (jump && first) {
        chart.open(first.getAttribute("data-id"));
        centre(chart, first);
      }
    });
    document.querySelectorAll("[data-orgchart-count]").forEach(function (out) {
      out.textContent = text === "" ? "" : matches === 1 ? "1 match" : matches + " matches";
    });
  }

  function init() {
    document.querySelectorAll("svg.orgchart.interactive").forEach(function (svg) {
      charts.push(setup(svg));
    });
    if (!charts.length) return;
    document.querySelectorAll("input[data-orgchart-search]").forEach(function (input) {
      input.addEventListener("input", function () {
        search(input, false);
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault(); // not a form submission
          search(input, true);
        }
      });
    });
    document.querySelectorAll("[data-orgchart-zoom]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var how = button.getAttribute("data-orgchart-zoom");
        targets(button).forEach(function (chart) {
          if (how === "in") zoom(chart, 1 / 1.25);
          else if (how === "out") zoom(chart, 1.25);
          else setView(chart.svg, chart.home.x, chart.home.y, chart.home.width, chart.home.height);
        });
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
