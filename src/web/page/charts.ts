/**
 * One live chart (uPlot) of the detail view. uPlot draws on a canvas and styles its parts from
 * script (CSSOM), which the page's Content-Security-Policy allows, and takes the columnar
 * arrays of a HistorySeries as they come.
 */
import uPlot from 'uplot';
import type { HistorySeries } from '../history-source.js';
import { element } from './dom.js';

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly unit: '%' | '°C';
  /** The lines of the chart from a series: a label and a column each. */
  lines(series: HistorySeries): { label: string; values: (number | null)[] }[];
}

const COLORS = ['#4fc3f7', '#ffb74d', '#81c784', '#e57373', '#ba68c8', '#fff176', '#4db6ac', '#f06292'];
const HEIGHT = 170;

export const CHARTS: readonly ChartSpec[] = [
  { id: 'cpu', title: 'CPU', unit: '%', lines: (s) => [{ label: 'CPU', values: s.cpu }] },
  {
    id: 'cores',
    title: 'CPU per core',
    unit: '%',
    lines: (s) => s.cores.map((values, i) => ({ label: `core ${i}`, values })),
  },
  { id: 'memory', title: 'Memory', unit: '%', lines: (s) => [{ label: 'RAM', values: s.memory }] },
  { id: 'disk', title: 'Disk', unit: '%', lines: (s) => [{ label: 'disk', values: s.disk }] },
  {
    id: 'gpu',
    title: 'GPU',
    unit: '%',
    lines: (s) => [
      { label: 'GPU', values: s.gpu },
      { label: 'GPU memory', values: s.gpuMemory },
    ],
  },
  {
    id: 'temperature',
    title: 'Temperatures',
    unit: '°C',
    lines: (s) => [
      { label: 'CPU', values: s.cpuTemperature },
      { label: 'GPU', values: s.gpuTemperature },
    ],
  },
];

export class Chart {
  readonly #spec: ChartSpec;
  readonly #box: HTMLElement;
  readonly #plotArea: HTMLElement;
  readonly #note: HTMLElement;
  #plot: uPlot | undefined;
  #labels = '';

  constructor(parent: HTMLElement, spec: ChartSpec) {
    this.#spec = spec;
    this.#box = element('figure', 'chart');
    this.#box.dataset.chart = spec.id;
    this.#box.dataset.points = '0';
    this.#box.append(element('figcaption', '', `${spec.title} (${spec.unit})`));
    this.#note = element('p', 'chart-note');
    this.#plotArea = element('div', 'plot');
    this.#box.append(this.#note, this.#plotArea);
    parent.append(this.#box);
  }

  update(series: HistorySeries): void {
    const lines = this.#spec.lines(series);
    const shown = lines.some((line) => line.values.some((value) => value !== null));
    this.#note.textContent = shown ? '' : series.t.length === 0 ? 'no data yet' : 'not sent by the server';
    this.#box.dataset.points = String(series.t.length);
    // The span drawn (epoch ms), for tests and tools.
    this.#box.dataset.from = String(series.t[0] ?? '');
    this.#box.dataset.to = String(series.t[series.t.length - 1] ?? '');
    this.#box.dataset.empty = String(!shown);
    const x = series.t.map((t) => t / 1000);
    const data = [x, ...lines.map((line) => line.values)] as uPlot.AlignedData;
    const labels = lines.map((line) => line.label).join('\n');
    if (this.#plot === undefined || labels !== this.#labels) {
      this.#plot?.destroy();
      this.#labels = labels;
      this.#plot = new uPlot(this.#options(lines.map((line) => line.label)), data, this.#plotArea);
    } else {
      this.#plot.setData(data);
    }
  }

  resize(): void {
    this.#plot?.setSize({ width: this.#width(), height: HEIGHT });
  }

  destroy(): void {
    this.#plot?.destroy();
    this.#plot = undefined;
    this.#box.remove();
  }

  #width(): number {
    return Math.max(240, this.#box.clientWidth - 16);
  }

  #options(labels: string[]): uPlot.Options {
    const unit = this.#spec.unit;
    const format = (value: number | null | undefined) =>
      value === null || value === undefined ? 'n/a' : `${value.toFixed(1)}${unit}`;
    return {
      width: this.#width(),
      height: HEIGHT,
      legend: { show: labels.length <= 8 },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: unit === '%' ? { range: [0, 100] } : { auto: true } },
      axes: [
        { stroke: '#9aa4b2', grid: { stroke: '#2a313c' }, ticks: { stroke: '#2a313c' } },
        {
          stroke: '#9aa4b2',
          grid: { stroke: '#2a313c' },
          ticks: { stroke: '#2a313c' },
          values: (_u, values) => values.map((value) => `${value}${unit}`),
        },
      ],
      series: [
        {},
        ...labels.map((label, i) => ({
          label,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          spanGaps: false,
          value: (_u: uPlot, value: number | null) => format(value),
        })),
      ],
    };
  }
}
