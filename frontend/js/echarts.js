// The ECharts the dashboard ships: only what its two charts draw (line and stacked bar charts on
// a grid, with tooltips, legends and marked areas, on canvas), bundled by esbuild
// (scripts/build-echarts.sh) into /echarts.min.js, which the first chart loads. The full
// distribution is twice the download. `dark` is one of ECharts' built-in themes.
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  LineChart,
  BarChart,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  TooltipComponent,
  CanvasRenderer,
]);

// `chart.rs` calls `echarts.init` on the global, as with the full distribution.
window.echarts = echarts;
