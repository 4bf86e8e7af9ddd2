"use strict";
// operando viewer: a canvas renderer of float32 frames served by operando.viewer.server.
// window.viewer exposes the state for tests: panels (each with .frame {data, rows, cols, lo, hi}),
// spectrum (the last clicked pixel's JSON), pending (requests in flight), errors.

const viewer = {manifest: null, panels: [], spectrum: null, pixel: null, pending: 0, errors: [], renders: 0};
window.viewer = viewer;

// ---- numbers and units ------------------------------------------------------------------------
const DISPLAY = {m: [1e-6, "µm"], T: [1e-6, "µT"], Hz: [1e6, "MHz"], "A/m^2": [10, "mA/cm²"], "A/m**2": [10, "mA/cm²"]};
function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "NaN";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(3) : (+v.toPrecision(4)).toString();
}
function shown(v, units) {  // a value in its display unit, e.g. 2.5e-6 m → "2.5 µm"
  const d = DISPLAY[units];
  return d ? `${fmt(v / d[0])} ${d[1]}` : `${fmt(v)}${units && units !== "1" ? " " + units : ""}`;
}
function coordText(coord, i) {
  if (coord.labels) return coord.labels[i];
  if (coord.values) return shown(coord.values[i], coord.units);
  if (coord.first !== undefined) return shown(coord.first + i * coord.step, coord.units);
  return `#${i}`;
}
function coordValue(coord, i) {
  if (coord && coord.values) return coord.values[i];
  if (coord && coord.first !== undefined) return coord.first + i * coord.step;
  return i;
}

// ---- colour maps ------------------------------------------------------------------------------
function lut(stops) {  // 256 × RGB from evenly spaced stops
  const out = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const s = i / 255 * (stops.length - 1), k = Math.min(Math.floor(s), stops.length - 2), f = s - k;
    for (let c = 0; c < 3; c++) out[3 * i + c] = stops[k][c] * (1 - f) + stops[k + 1][c] * f;
  }
  return out;
}
const VIRIDIS = lut([[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]]);
const DIVERGING = lut([[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247],
  [253, 219, 199], [239, 138, 98], [178, 24, 43]]);
const CATEGORICAL = [[230, 230, 230], [148, 103, 189], [31, 119, 180], [44, 160, 44], [255, 127, 14],
  [214, 39, 40], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
function cssColor(c) { return `rgb(${c[0]},${c[1]},${c[2]})`; }

// ---- server -----------------------------------------------------------------------------------
async function request(path, params, binary) {
  const url = path + "?" + new URLSearchParams(params).toString();
  viewer.pending++;
  try {
    const r = await fetch(url);
    if (!r.ok) {
      const body = await r.json().catch(() => ({error: r.statusText}));
      throw new Error(body.error || r.statusText);
    }
    return binary ? r : await r.json();
  } finally { viewer.pending--; }
}
async function getFrame(ds, variable, sel) {
  const r = await request("/api/frame", {ds, var: variable, sel: JSON.stringify(sel)}, true);
  const [rows, cols] = r.headers.get("X-Shape").split(",").map(Number);
  const [lo, hi] = r.headers.get("X-Range").split(",").map(Number);
  return {data: new Float32Array(await r.arrayBuffer()), rows, cols, lo, hi};
}
function showProblem(message) {
  viewer.errors.push(message);
  const box = document.getElementById("problems");
  box.hidden = false;
  box.textContent = "not shown:\n" + viewer.errors.join("\n");
  console.warn("operando viewer:", message);
}

// ---- one image panel --------------------------------------------------------------------------
function dataset(name) { return viewer.manifest.datasets.find(d => d.name === name); }
function variableOf(ds, name) { return dataset(ds).variables.find(v => v.name === name); }

class Panel {
  // opts: {ds, var, title, view, scale: "own" | shared object, diverging, difference: [truthPanel, recoPanel],
  //        outline: bool, removable}
  constructor(parent, opts) {
    Object.assign(this, opts);
    this.meta = this.difference ? this.difference[0].meta : variableOf(this.ds, this.var);
    this.dims = dataset(this.ds).dims;
    this.el = document.createElement("div");
    this.el.className = "panel";
    this.el.innerHTML = `<h3></h3><div class="body"><canvas class="image"></canvas>
      <div class="colorbar"><span class="hi"></span><canvas width="14" height="120"></canvas><span class="lo"></span></div></div>
      <div class="legend"></div><div class="readout">&nbsp;</div>`;
    this.el.querySelector("h3").textContent = this.title || `${this.ds} / ${this.var}` +
      (this.meta.units && this.meta.units !== "1" ? ` [${(DISPLAY[this.meta.units] || [0, this.meta.units])[1]}]` : "");
    if (this.removable) {
      const x = document.createElement("button");
      x.className = "close"; x.textContent = "✕"; x.title = "remove";
      x.onclick = () => { this.el.remove(); viewer.panels = viewer.panels.filter(p => p !== this); };
      this.el.appendChild(x);
    }
    this.canvas = this.el.querySelector("canvas.image");
    this.canvas.addEventListener("mousemove", e => this.frame && this.view.hover(this, this.pixelAt(e)));
    this.canvas.addEventListener("click", e => this.frame && this.view.click(this, this.pixelAt(e)));
    parent.appendChild(this.el);
    viewer.panels.push(this);
  }
  pixelAt(e) {
    const r = this.canvas.getBoundingClientRect();
    const col = Math.floor((e.clientX - r.left) / r.width * this.frame.cols);
    const row = Math.floor((e.clientY - r.top) / r.height * this.frame.rows);
    return {row: Math.min(Math.max(row, 0), this.frame.rows - 1), col: Math.min(Math.max(col, 0), this.frame.cols - 1)};
  }
  selection(sel) {  // the view's slider indices, clamped to this variable's sizes
    const out = {};
    for (const d of this.meta.slider_dims) out[d] = Math.min(sel[d] || 0, this.meta.shape[this.meta.dims.indexOf(d)] - 1);
    return out;
  }
  async update(sel) {
    const token = this.token = (this.token || 0) + 1;  // a fast-moving slider: only the latest frame is drawn
    try {
      if (this.difference) {
        const [a, b] = this.difference.map(p => p.frame);
        const data = new Float32Array(a.data.length);
        for (let i = 0; i < data.length; i++) data[i] = a.data[i] - b.data[i];
        this.frame = {data, rows: a.rows, cols: a.cols, lo: NaN, hi: NaN};
      } else {
        const frame = await getFrame(this.ds, this.var, this.selection(sel));
        if (token !== this.token) return;
        this.frame = frame;
      }
      if (this.outlineFrom && !this.outline) await this.loadOutline();
      this.draw();
    } catch (err) { showProblem(`${this.ds}/${this.var}: ${err.message}`); }
  }
  async loadOutline() {
    const r = await request("/api/outline", {ds: this.ds, var: this.var, labels: this.outlineFrom.ds, z: this.outlineFrom.z}, true);
    this.outline = new Int16Array(await r.arrayBuffer());
  }
  range() {
    if (this.scale && this.scale !== "own") return [this.scale.lo, this.scale.hi];
    let lo = this.frame.lo, hi = this.frame.hi;
    if (Number.isNaN(lo)) {
      lo = Infinity; hi = -Infinity;
      for (const v of this.frame.data) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    if (this.diverging) { const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1; return [-m, m]; }
    return [lo, hi];
  }
  draw(repaint = true) {
    if (!repaint && this.off) return this.compose();
    const {data, rows, cols} = this.frame;
    const labels = this.meta.kind === "labels" ? this.meta.phases : null;
    const [lo, hi] = this.range();
    const map = this.diverging ? DIVERGING : VIRIDIS;
    const image = new ImageData(cols, rows), px = image.data, span = hi > lo ? 255 / (hi - lo) : 0;
    const colours = labels ? new Map(labels.map(([k], i) => [k, CATEGORICAL[i % CATEGORICAL.length]])) : null;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isFinite(v)) { px[4 * i + 3] = 0; continue; }
      let r, g, b;
      if (colours) { [r, g, b] = colours.get(v) || [0, 0, 0]; } else {
        const k = 3 * Math.max(0, Math.min(255, Math.round((v - lo) * span)));
        r = map[k]; g = map[k + 1]; b = map[k + 2];
      }
      px[4 * i] = r; px[4 * i + 1] = g; px[4 * i + 2] = b; px[4 * i + 3] = 255;
    }
    this.off = new OffscreenCanvas(cols, rows);
    this.off.getContext("2d").putImageData(image, 0, 0);
    this.overlay = null;
    this.compose();
    this.drawColorbar(lo, hi, labels);
    viewer.renders++;
  }
  compose() {  // the painted frame scaled up, with scale bar and cursor (cheap: redrawn on hover)
    const {rows, cols} = this.frame;
    const zoom = Math.max(1, Math.min(380 / cols, 340 / rows));
    const w = Math.round(cols * zoom), h = Math.round(rows * zoom);
    if (this.canvas.width !== w || this.canvas.height !== h) { this.canvas.width = w; this.canvas.height = h; }
    const ctx = this.canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.off, 0, 0, w, h);
    this.zoom = zoom;
    if (this.outline) {  // drawn once per frame at display size, then reused on every hover
      if (!this.overlay || this.overlay.width !== w) {
        this.overlay = new OffscreenCanvas(w, h);
        this.drawOutline(this.overlay.getContext("2d"));
      }
      ctx.drawImage(this.overlay, 0, 0);
    }
    this.drawScalebar(ctx, w, h);
    if (this.cursor) this.drawCursor(ctx);
  }
  drawOutline(ctx) {  // thin lines between pixels of different phases
    const {rows, cols} = this.frame, lab = this.outline, z = this.zoom;
    ctx.strokeStyle = "rgba(0,0,0,.7)"; ctx.lineWidth = 1; ctx.beginPath();
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      if (c + 1 < cols && lab[k] !== lab[k + 1]) { ctx.moveTo((c + 1) * z, r * z); ctx.lineTo((c + 1) * z, (r + 1) * z); }
      if (r + 1 < rows && lab[k] !== lab[k + cols]) { ctx.moveTo(c * z, (r + 1) * z); ctx.lineTo((c + 1) * z, (r + 1) * z); }
    }
    ctx.stroke();
  }
  pixelSize() {  // metres per column, from the x coordinate (null when it has none)
    const c = this.dims[this.meta.image_dims[1]];
    if (!c || (c.units && c.units !== "m")) return null;
    const a = coordValue(c, 0), b = coordValue(c, 1);
    return c.n > 1 && c.values !== null ? Math.abs(b - a) : (c.step || null);
  }
  drawScalebar(ctx, w, h) {
    const dx = this.pixelSize();
    if (!dx) return;
    const um = dx * 1e6 * this.frame.cols / 4, p = 10 ** Math.floor(Math.log10(um));
    const len = [5, 2, 1].map(k => k * p).find(v => v <= um) || p;
    const bar = len / (dx * 1e6) * this.zoom;
    ctx.fillStyle = "rgba(0,0,0,.55)"; ctx.fillRect(4, h - 20, bar + 8, 16);
    ctx.fillStyle = "#fff"; ctx.fillRect(8, h - 9, bar, 3);
    ctx.font = "10px system-ui"; ctx.fillText(`${fmt(len)} µm`, 8, h - 11);
  }
  drawCursor(ctx) {
    const {row, col} = this.cursor, z = this.zoom;
    ctx.strokeStyle = "rgba(255,255,255,.8)"; ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo((col + .5) * z, 0); ctx.lineTo((col + .5) * z, this.canvas.height);
    ctx.moveTo(0, (row + .5) * z); ctx.lineTo(this.canvas.width, (row + .5) * z);
    ctx.stroke();
  }
  drawColorbar(lo, hi, labels) {
    const bar = this.el.querySelector(".colorbar"), legend = this.el.querySelector(".legend");
    if (labels) {
      bar.hidden = true;
      legend.innerHTML = labels.map(([k, name], i) =>
        `<span style="background:${cssColor(CATEGORICAL[i % CATEGORICAL.length])}"></span>${name} (${k})`).join("");
      return;
    }
    const c = bar.querySelector("canvas").getContext("2d"), map = this.diverging ? DIVERGING : VIRIDIS;
    for (let y = 0; y < 120; y++) {
      const k = 3 * Math.round(255 * (1 - y / 119));
      c.fillStyle = cssColor([map[k], map[k + 1], map[k + 2]]); c.fillRect(0, y, 14, 1);
    }
    bar.querySelector(".hi").textContent = shown(hi, this.meta.units);
    bar.querySelector(".lo").textContent = shown(lo, this.meta.units);
  }
  valueAt(row, col) { return this.frame.data[row * this.frame.cols + col]; }
  physical(row, col) {  // (y, x) of a pixel in its coordinates
    const [ry, cx] = this.meta.image_dims;
    return [coordValue(this.dims[ry], row), coordValue(this.dims[cx], col)];
  }
  nearest(y, x) {  // pixel nearest a physical position (linked cursors across grids)
    const find = (coord, v, n) => {
      let best = 0, d = Infinity;
      for (let i = 0; i < n; i++) { const e = Math.abs(coordValue(coord, i) - v); if (e < d) { d = e; best = i; } }
      return best;
    };
    const [ry, cx] = this.meta.image_dims;
    return {row: find(this.dims[ry], y, this.frame.rows), col: find(this.dims[cx], x, this.frame.cols)};
  }
}

// ---- a view: panels sharing slider controls ---------------------------------------------------
class View {
  constructor(root, name) {
    this.root = root; this.name = name; this.sel = {}; this.panels = [];
    this.controls = document.createElement("div"); this.controls.className = "controls";
    this.grid = document.createElement("div"); this.grid.className = "grid";
    root.append(this.controls, this.grid);
  }
  add(parent, opts) { const p = new Panel(parent || this.grid, {view: this, ...opts}); this.panels.push(p); return p; }
  sliders() {  // one slider per dim name, linking every panel that has that dim
    this.controls.querySelectorAll("label.dim").forEach(e => e.remove());
    const dims = new Map();
    for (const p of this.panels) for (const d of p.meta.slider_dims) {
      const n = p.meta.shape[p.meta.dims.indexOf(d)];
      if (!dims.has(d) || dims.get(d).n < n) dims.set(d, {n, coord: p.dims[d]});
    }
    for (const [d, {n, coord}] of dims) {
      if (n < 2) continue;
      const label = document.createElement("label"); label.className = "dim";
      label.innerHTML = `<span>${d}</span><input type="range" min="0" max="${n - 1}" step="1" data-dim="${d}"><output></output>`;
      const input = label.querySelector("input"), out = label.querySelector("output");
      // open on the last time and the top layer (largest z: the surface the sensor faces)
      input.value = this.sel[d] = Math.min(this.sel[d] ?? (d === "t" || d === "z" ? n - 1 : 0), n - 1);
      out.textContent = coordText(coord, input.value);
      input.addEventListener("input", () => {
        this.sel[d] = +input.value; out.textContent = coordText(coord, input.value); this.update();
      });
      this.controls.prepend(label);
    }
  }
  async update() {
    const t0 = performance.now();
    const plain = this.panels.filter(p => !p.difference), diffs = this.panels.filter(p => p.difference);
    await Promise.all(plain.map(p => p.update(this.sel)));
    if (this.shared) {
      for (const s of this.shared) {
        s.lo = Math.min(...s.panels.map(p => p.frame ? p.frame.lo : Infinity));
        s.hi = Math.max(...s.panels.map(p => p.frame ? p.frame.hi : -Infinity));
        s.panels.forEach(p => p.frame && p.draw());
      }
    }
    await Promise.all(diffs.map(p => p.update(this.sel)));
    viewer.lastUpdateMs = performance.now() - t0;
    document.getElementById("status").textContent = `frame update ${viewer.lastUpdateMs.toFixed(0)} ms`;
  }
  hover(panel, {row, col}) {
    const [y, x] = panel.physical(row, col);
    for (const p of this.panels) {
      if (!p.frame) continue;
      p.cursor = p === panel ? {row, col} : p.nearest(y, x);
      p.draw(false);
    }
    const v = panel.valueAt(row, col);
    const text = panel.meta.kind === "labels" ? (panel.meta.phases.find(([k]) => k === v) || [v, "?"])[1] : shown(v, panel.meta.units);
    panel.el.querySelector(".readout").textContent = `y ${shown(y, "m")}, x ${shown(x, "m")} [${row}, ${col}]: ${text}`;
  }
  click(panel, px) { if (this.onClick) this.onClick(panel, px); }
}

// ---- the views --------------------------------------------------------------------------------
function labelsSources() {
  return viewer.manifest.datasets.filter(d => d.variables.some(v => v.kind === "labels"));
}

function cellView(root) {
  const view = new View(root, "cell");
  for (const d of labelsSources()) for (const v of d.variables.filter(v => v.kind === "labels"))
    view.add(null, {ds: d.name, var: v.name, title: `${d.name}: phases`});
  if (!view.panels.length) root.insertAdjacentHTML("beforeend", "<p class=meta>no labelled cell in this folder</p>");
  return view;
}

function pixelNumbers(view, box) {
  view.onClick = async (panel, {row, col}) => {
    try {
      const values = await request("/api/pixel", {ds: panel.ds, row, col, sel: JSON.stringify(panel.selection(view.sel))});
      viewer.pixel = {ds: panel.ds, row, col, values};
      box.innerHTML = `<h3>${panel.ds} at pixel [${row}, ${col}]</h3><table><tr><th>variable</th><th>value</th></tr>` +
        values.map(v => `<tr><td>${v.name}</td><td>${shown(v.value, v.units)}</td></tr>`).join("") + "</table>";
    } catch (err) { showProblem(err.message); }
  };
}

function exploreView(root, initial) {
  const view = new View(root, "explore");
  const dsSel = document.createElement("select"), varSel = document.createElement("select");
  const addBtn = document.createElement("button"); addBtn.textContent = "add panel";
  const fill = () => { varSel.innerHTML = dataset(dsSel.value).variables.map(v => `<option>${v.name}</option>`).join(""); };
  dsSel.innerHTML = viewer.manifest.datasets.filter(d => d.variables.length).map(d => `<option>${d.name}</option>`).join("");
  dsSel.onchange = fill; fill();
  view.addPanel = (ds, v) => { view.add(null, {ds, var: v, removable: true}); view.sliders(); view.update(); };
  addBtn.onclick = () => view.addPanel(dsSel.value, varSel.value);
  view.controls.append(dsSel, varSel, addBtn);
  const numbers = document.createElement("div"); numbers.className = "spectrum"; root.appendChild(numbers);
  pixelNumbers(view, numbers);
  for (const [ds, v] of initial) view.add(null, {ds, var: v, removable: true});
  return view;
}

function compareView(root) {
  const view = new View(root, "compare");
  view.shared = [];
  for (const d of viewer.manifest.datasets) for (const base of d.pairs) {
    const row = document.createElement("div"); row.className = "row"; view.grid.appendChild(row);
    const scale = {lo: 0, hi: 1};
    const truth = view.add(row, {ds: d.name, var: base + "_true", scale});
    const reco = view.add(row, {ds: d.name, var: base + "_reconstructed", scale});
    scale.panels = [truth, reco]; view.shared.push(scale);
    view.add(row, {ds: d.name, var: base + "_true", difference: [truth, reco], diverging: true,
      title: `${d.name}: ${base} truth − reconstruction`});
  }
  if (!view.panels.length) root.insertAdjacentHTML("beforeend", "<p class=meta>no X_true / X_reconstructed pairs</p>");
  return view;
}

function fieldsView(root) {
  const view = new View(root, "fields");
  const cells = labelsSources(), pick = document.createElement("select");
  pick.innerHTML = "<option value=''>no outline</option>" + cells.map(d => `<option>${d.name}</option>`).join("");
  if (cells.length) pick.value = cells[cells.length - 1].name;
  view.controls.append("phase outlines of ", pick);
  const outlineFrom = () => pick.value ? {ds: pick.value, z: dataset(pick.value).dims.z ? dataset(pick.value).dims.z.n - 1 : 0} : null;
  pick.onchange = () => { view.panels.forEach(p => { p.outlineFrom = outlineFrom(); p.outline = null; }); view.update(); };
  for (const d of viewer.manifest.datasets) for (const v of d.variables)
    if (v.units === "T" && !v.spectral) view.add(null, {ds: d.name, var: v.name, outlineFrom: outlineFrom()});
  if (!view.panels.length) root.insertAdjacentHTML("beforeend", "<p class=meta>no field maps (variables in T)</p>");
  return view;
}

function plotSpectrum(canvas, s) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, L = 60, B = 30;
  ctx.clearRect(0, 0, W, H);
  const f = s.frequency, series = [s.values, ...s.fits.map(x => x.values)];
  const all = series.flat().filter(Number.isFinite);
  const lo = Math.min(...all), hi = Math.max(...all), f0 = Math.min(...f), f1 = Math.max(...f);
  const X = v => L + (v - f0) / ((f1 - f0) || 1) * (W - L - 10), Y = v => 10 + (hi - v) / ((hi - lo) || 1) * (H - B - 10);
  ctx.strokeStyle = "#888"; ctx.strokeRect(L, 10, W - L - 10, H - B - 10);
  ctx.fillStyle = "#333"; ctx.font = "11px system-ui";
  ctx.fillText(shown(f0, "Hz"), L, H - 12); ctx.fillText(shown(f1, "Hz"), W - 80, H - 12);
  ctx.fillText(fmt(hi), 2, 16); ctx.fillText(fmt(lo), 2, H - B);
  ctx.fillText("frequency", (W + L) / 2 - 25, H - 12);
  ctx.save(); ctx.translate(12, H / 2); ctx.rotate(-Math.PI / 2);
  ctx.fillText(`${s.variable}${s.units && s.units !== "1" ? " [" + s.units + "]" : ""}`, -30, 0); ctx.restore();
  ctx.fillStyle = "#1f77b4";
  s.values.forEach((v, i) => { if (Number.isFinite(v)) ctx.fillRect(X(f[i]) - 1.5, Y(v) - 1.5, 3, 3); });
  const colours = ["#d62728", "#2ca02c", "#ff7f0e"];
  s.fits.forEach((fit, k) => {
    ctx.strokeStyle = colours[k % 3]; ctx.beginPath();
    const ff = fit.frequency || f;
    fit.values.forEach((v, i) => (i ? ctx.lineTo(X(ff[i]), Y(v)) : ctx.moveTo(X(ff[i]), Y(v))));
    ctx.stroke();
  });
}

function spectraView(root) {
  const view = new View(root, "spectra");
  const side = document.createElement("div"); side.className = "spectrum";
  side.innerHTML = "<p class=meta>click a pixel to see its spectrum</p>";
  for (const d of viewer.manifest.datasets) for (const v of d.variables.filter(v => v.spectral))
    view.add(null, {ds: d.name, var: v.name});
  root.appendChild(side);
  view.onClick = async (panel, {row, col}) => {
    try {
      const s = await request("/api/spectrum", {ds: panel.ds, var: panel.var, row, col, sel: JSON.stringify(panel.selection(view.sel))});
      viewer.spectrum = s;
      side.innerHTML = `<h3>${s.dataset}/${s.variable} at pixel [${row}, ${col}]</h3><canvas width="520" height="240"></canvas>
        <div class="fits"></div><details><summary>values (${s.values.length})</summary><table class="spectrum-values">
        <tr><th>frequency</th><th>${s.variable}${s.units && s.units !== "1" ? " [" + s.units + "]" : ""}</th>` +
        s.fits.map(fit => `<th>${fit.source}</th>`).join("") + "</tr>" +
        s.values.map((v, i) => `<tr><td>${shown(s.frequency[i], "Hz")}</td><td>${fmt(v)}</td>` +
          s.fits.map(fit => `<td>${fmt(fit.at_data[i])}</td>`).join("") + "</tr>").join("") + "</table></details>";
      plotSpectrum(side.querySelector("canvas"), s);
      side.querySelector(".fits").innerHTML = s.fits.map(fit => `<p>fit: ${fit.source}</p>` + (fit.numbers.length ?
        "<table><tr><th>parameter</th><th>value</th><th>± error</th></tr>" + fit.numbers.map(n =>
          `<tr><td>${n.name}</td><td>${shown(n.value, n.units)}</td><td>${n.error === null ? "" : shown(n.error, n.units)}</td></tr>`).join("") +
        "</table>" : "")).join("") || "<p class=meta>no fit of these pixels in this folder</p>";
    } catch (err) { showProblem(err.message); }
  };
  if (!view.panels.length) root.insertAdjacentHTML("afterbegin", "<p class=meta>no stack with a frequency dim</p>");
  return view;
}

function claimsView(root) {
  const m = viewer.manifest;
  if (!m.claims.length) { root.innerHTML = "<p class=meta>no claims table (report.html or claims.json) in this folder</p>"; return null; }
  root.innerHTML = `<p class=meta>from ${m.claims_source}${m.report ? ' — <a href="/report.html" target="_blank">open the report</a>' : ""}</p>
    <table class="claims"><thead><tr><th>#</th><th>claim</th><th>paper</th><th>operando</th><th>verdict</th><th>figures</th></tr></thead><tbody></tbody></table>`;
  const body = root.querySelector("tbody");
  for (const c of m.claims) {
    const tr = document.createElement("tr"); tr.className = c.verdict.replace(/ /g, "-");
    tr.innerHTML = `<td>${c.id}</td><td></td><td></td><td></td><td class="verdict">${c.verdict}</td><td class="links"></td>`;
    [c.claim, c.paper, c.ours].forEach((t, i) => { tr.children[i + 1].textContent = t; });
    for (const [ds, v] of c.links) {
      const b = document.createElement("button"); b.textContent = `${ds}/${v}`;
      b.onclick = () => { show("explore"); views.explore.addPanel(ds, v); };
      tr.querySelector(".links").appendChild(b);
    }
    body.appendChild(tr);
  }
  return null;
}

// ---- start ------------------------------------------------------------------------------------
const views = {};
const BUILDERS = {cell: cellView, explore: null, compare: compareView, fields: fieldsView, spectra: spectraView, claims: claimsView};
function show(name) {
  document.querySelectorAll("#main > section").forEach(s => { s.hidden = s.dataset.view !== name; });
  document.querySelectorAll("nav button").forEach(b => b.classList.toggle("active", b.dataset.view === name));
  viewer.active = name;
}
function initialExplore() {
  const ds = viewer.manifest.datasets.filter(d => d.variables.length);
  const timed = ds.find(d => d.dims.t && d.variables.some(v => v.dims.includes("t"))) || ds[0];
  // field maps first (a fit result: B before its line parameters), never standard errors or masks
  const shown = timed.variables.filter(v => v.kind !== "mask" && !v.name.endsWith("_err"));
  shown.sort((a, b) => (b.units === "T") - (a.units === "T"));
  return shown.slice(0, 2).map(v => [timed.name, v.name]);
}
async function start() {
  try { viewer.manifest = await request("/api/manifest", {}); } catch (err) { showProblem(err.message); return; }
  const m = viewer.manifest, main = document.getElementById("main"), nav = document.getElementById("tabs");
  document.getElementById("title").textContent = `operando viewer — ${m.title}`;
  document.title = `operando viewer — ${m.title}`;
  m.problems.forEach(showProblem);
  main.innerHTML = "";
  for (const name of Object.keys(BUILDERS)) {
    const section = document.createElement("section"); section.dataset.view = name; main.appendChild(section);
    const view = name === "explore" ? exploreView(section, initialExplore()) : BUILDERS[name](section);
    if (view) { views[name] = view; view.sliders(); }
    const b = document.createElement("button"); b.textContent = name; b.dataset.view = name;
    b.onclick = () => show(name); nav.appendChild(b);
  }
  const first = ["cell", "spectra", "explore"].find(n => views[n] && views[n].panels.length) || "explore";
  show(first);
  await Promise.all(Object.values(views).map(v => v.update()));
  viewer.ready = true;
}
start();
