// Charts drawn from their tables (oversight/templates/oversight/includes/chart.html) with the
// vendored Chart.js (static/vendor/chartjs/). Progressive enhancement only: without this file,
// or when Chart.js did not load, the table is the chart. No inline styles, no eval (strict CSP).
//
// Colours, font size and line width come from CSS custom properties on the figure
// (--chart-1 … --chart-6, --chart-text, --chart-grid, --chart-font-size, --chart-line-width in
// static/css/charts.css), so the large-text mode and the big screen restyle the charts there.
(function () {
  "use strict";

  var TYPES = { bar: "bar", line: "line", stacked: "bar" };
  var POINT_STYLES = ["circle", "rect", "triangle", "rectRot", "star", "crossRot"];
  var DASHES = [[], [8, 4], [2, 3], [12, 4, 2, 4], [4, 4], [1, 6]];
  var SERIES_COLOURS = 6;

  function cssValue(style, name, fallback) {
    var value = style.getPropertyValue(name).trim();
    return value || fallback;
  }

  function cssNumber(style, name, fallback) {
    var value = parseFloat(style.getPropertyValue(name));
    return isNaN(value) ? fallback : value;
  }

  function cellValue(cell) {
    var raw = cell ? cell.getAttribute("data-value") : "";
    if (raw === null || raw === "") { return null; }
    var value = parseFloat(raw);
    return isNaN(value) ? null : value;
  }

  function cellHref(cell) {
    var link = cell ? cell.querySelector("a[href]") : null;
    return link ? link.href : "";
  }

  // The table as data: series from the header, one label per body row, values and links by
  // series then row (as Chart.js indexes them: datasetIndex, index).
  function readTable(table) {
    var series = Array.prototype.slice.call(table.querySelectorAll("thead th")).slice(1).map(function (th) {
      return th.textContent.trim();
    });
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr")).filter(function (tr) {
      return tr.querySelector("th[scope=row]");
    });
    var labels = rows.map(function (tr) { return tr.querySelector("th").textContent.trim(); });
    var values = series.map(function () { return []; });
    var hrefs = series.map(function () { return []; });
    rows.forEach(function (tr) {
      var cells = tr.querySelectorAll("td");
      series.forEach(function (_name, column) {
        values[column].push(cellValue(cells[column]));
        hrefs[column].push(cellHref(cells[column]));
      });
    });
    return { series: series, labels: labels, values: values, hrefs: hrefs };
  }

  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  function draw(figure) {
    var kind = figure.getAttribute("data-chart");
    var box = figure.querySelector(".lianluo-chart__canvas");
    var table = figure.querySelector("table.lianluo-chart__table");
    if (!TYPES[kind] || !box || !table || box.querySelector("canvas")) { return false; }
    var data = readTable(table);
    if (!data.labels.length || !data.series.length) { return false; }

    var style = window.getComputedStyle(figure);
    var text = cssValue(style, "--chart-text", "#1b1b1b");
    var grid = cssValue(style, "--chart-grid", "#d0d0d0");
    var fontSize = cssNumber(style, "--chart-font-size", 14);
    var lineWidth = cssNumber(style, "--chart-line-width", 2);
    var unit = figure.getAttribute("data-chart-unit") || "";
    var title = figure.getAttribute("data-chart-title") || "";
    var stacked = kind === "stacked";
    var line = kind === "line";

    var datasets = data.series.map(function (name, index) {
      var colour = cssValue(style, "--chart-" + ((index % SERIES_COLOURS) + 1), "#555555");
      var dataset = {
        label: name,
        data: data.values[index],
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: line ? lineWidth : 0,
      };
      if (line) {
        // Shape and dash tell the series apart without colour (WCAG 1.4.1).
        dataset.pointStyle = POINT_STYLES[index % POINT_STYLES.length];
        dataset.borderDash = DASHES[index % DASHES.length];
        dataset.pointRadius = lineWidth + 2;
        dataset.pointHoverRadius = lineWidth + 4;
        dataset.spanGaps = false;
      }
      return dataset;
    });

    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", title + "：图表，数据见下表");
    canvas.textContent = title + "：数据见下表";
    box.appendChild(canvas);
    figure.classList.add("lianluo-chart--drawn"); // gives the box its height before Chart.js measures it

    var withUnit = function (value) { return unit ? value + " " + unit : String(value); };
    var font = { size: fontSize, family: window.getComputedStyle(document.body).fontFamily };
    var axis = function (isValue) {
      return {
        stacked: stacked,
        beginAtZero: isValue,
        grid: { color: grid, lineWidth: isValue ? 1 : 0 },
        border: { color: text },
        ticks: isValue
          ? { color: text, font: font, precision: unit === "%" ? 1 : 0, callback: withUnit }
          : { color: text, font: font, autoSkip: true, maxRotation: 45 },
      };
    };

    /* global Chart */
    var chart = new Chart(canvas, {
      type: TYPES[kind],
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : { duration: 400 },
        interaction: { mode: "nearest", intersect: !line, axis: "x" },
        scales: { x: axis(false), y: axis(true) },
        plugins: {
          legend: {
            display: datasets.length > 1,
            labels: { color: text, font: font, usePointStyle: line },
          },
          tooltip: {
            titleFont: font,
            bodyFont: font,
            callbacks: {
              label: function (item) {
                var value = item.raw === null ? "—" : withUnit(item.formattedValue);
                return item.dataset.label + "：" + value;
              },
            },
          },
        },
        // A bar or point leads where its figure in the table leads: the rows it counts.
        onClick: function (_event, elements) {
          if (!elements.length) { return; }
          var href = data.hrefs[elements[0].datasetIndex][elements[0].index];
          if (href) { window.location.assign(href); }
        },
        onHover: function (event, elements) {
          var linked = elements.length && data.hrefs[elements[0].datasetIndex][elements[0].index];
          event.native.target.style.cursor = linked ? "pointer" : "default";
        },
      },
    });
    return chart;
  }

  // Below a drawn chart (or the tiles) the table folds away behind "查看数据表" — visually
  // only: it stays in the accessibility tree, and unfolds when a link in it takes the focus.
  // The large-text mode keeps every table open.
  function addTableToggle(figure) {
    if (document.documentElement.classList.contains("elder")) { return; }
    var data = figure.querySelector(".lianluo-chart__data");
    if (!data || figure.querySelector("[data-chart-table-toggle]")) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "lianluo-chart__toggle";
    button.setAttribute("data-chart-table-toggle", "");
    button.setAttribute("aria-expanded", "false");
    if (data.id) { button.setAttribute("aria-controls", data.id); }
    button.textContent = "查看数据表";
    button.addEventListener("click", function () {
      var open = figure.classList.toggle("lianluo-chart--table-open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    data.parentNode.insertBefore(button, data);
    figure.classList.add("lianluo-chart--folded");
  }

  function init() {
    var hasChartJs = typeof window.Chart === "function";
    var figures = document.querySelectorAll("figure[data-chart]");
    Array.prototype.forEach.call(figures, function (figure) {
      var drawn = false;
      if (figure.getAttribute("data-chart") === "tiles") {
        drawn = true;
      } else if (hasChartJs) {
        try {
          drawn = !!draw(figure);
        } catch (error) {
          // One chart that cannot be drawn leaves its table as it is; the others still draw.
          var canvas = figure.querySelector(".lianluo-chart__canvas canvas");
          if (canvas) { canvas.parentNode.removeChild(canvas); }
          figure.classList.remove("lianluo-chart--drawn");
          if (window.console) { window.console.warn("chart not drawn:", figure.id, error); }
        }
      }
      if (drawn) { addTableToggle(figure); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
