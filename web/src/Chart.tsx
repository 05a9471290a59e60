import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

echarts.use([
  LineChart,
  BarChart,
  HeatmapChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

interface SeriesLike {
  name?: string;
  data?: unknown[];
}

/**
 * One ECharts chart that follows its option and its container's size. The container carries what
 * it draws for tests and screen readers: `data-series` (series names) and `data-points` (points of
 * the longest series).
 */
export function Chart({ option, height = 260, testId, label }: { option: ChartOption; height?: number; testId?: string; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts>(undefined);
  useEffect(() => {
    if (!ref.current) return;
    const instance = echarts.init(ref.current, undefined, { renderer: 'canvas' });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(ref.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = undefined;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption({ animation: false, ...option }, { notMerge: true });
  }, [option]);
  const series = (option as { series?: SeriesLike[] }).series ?? [];
  const points = series.reduce((max, s) => Math.max(max, s.data?.length ?? 0), 0);
  return (
    <div
      ref={ref}
      className="chart"
      role="img"
      aria-label={label}
      data-testid={testId}
      data-series={series.map((s) => s.name ?? '').join(',')}
      data-points={points}
      style={{ height }}
    />
  );
}

/** Axis and tooltip defaults shared by the line charts. */
export function lineOption(xName: string, series: { name: string; data: [number, number | null][] }[], yName = ''): ChartOption {
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 48, right: 16, top: 36, bottom: 36 },
    xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 24, minInterval: 1 },
    yAxis: { type: 'value', name: yName, scale: true },
    series: series.map((s) => ({ type: 'line', name: s.name, data: s.data, showSymbol: s.data.length < 60, connectNulls: false })),
  };
}
