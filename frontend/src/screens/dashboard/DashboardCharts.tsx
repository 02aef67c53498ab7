import type { ReactNode } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Rectangle,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { EmailStats, SeriesPoint } from "../../api/types";
import { STATUSES, statusLabel } from "../../components/status";
import { useChartColours, type ChartColours } from "./chartColours";
import { SeriesTable } from "./SeriesTable";

const hourFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric" });
const hourLong = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" });
// Days are counted in UTC by the API: labelled in UTC too, or a day would show under its neighbour.
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

const hourLabel = (point: SeriesPoint) => hourLong.format(new Date(point.start));
const dayLabel = (point: SeriesPoint) => dayFormat.format(new Date(point.start));

// Bars grow in on first draw, unless the reader asked for less motion.
const animate = () => !window.matchMedia("(prefers-reduced-motion: reduce)").matches;

function totals(points: SeriesPoint[]) {
  return points.reduce(
    (sum, point) => ({ sent: sum.sent + point.sent, failed: sum.failed + point.failed }),
    { sent: 0, failed: 0 },
  );
}

function ChartFigure(props: { id: string; title: string; summary: string; children: ReactNode; table: ReactNode }) {
  return (
    <section className="card chart-card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      <figure className="chart-figure">
        <figcaption className="chart-summary">{props.summary}</figcaption>
        <div className="chart" aria-hidden="true">
          {props.children}
        </div>
        {props.table}
      </figure>
    </section>
  );
}

function tooltipStyle(colours: ChartColours) {
  return {
    contentStyle: {
      background: colours.surface,
      border: `1px solid ${colours.grid}`,
      borderRadius: 8,
      color: colours.text,
    },
    labelStyle: { color: colours.text },
    cursor: { fill: colours.grid, fillOpacity: 0.35 },
  };
}

function SeriesChart(props: {
  points: SeriesPoint[];
  tick: (start: string) => string;
  label: (point: SeriesPoint) => string;
  colours: ChartColours;
}) {
  const { points, colours } = props;
  const axis = { stroke: colours.grid, tick: { fill: colours.muted, fontSize: 12 } };
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={points} accessibilityLayer={false} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
        <CartesianGrid stroke={colours.grid} strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="start" tickFormatter={props.tick} minTickGap={16} {...axis} />
        <YAxis allowDecimals={false} {...axis} />
        <Tooltip
          labelFormatter={(_, payload) => {
            const point = payload[0]?.payload as SeriesPoint | undefined;
            return point === undefined ? "" : props.label(point);
          }}
          {...tooltipStyle(colours)}
        />
        <Legend wrapperStyle={{ color: colours.text }} />
        <Bar dataKey="sent" name="Sent" stackId="outcome" fill={colours.sent} isAnimationActive={animate()} />
        <Bar dataKey="failed" name="Failed" stackId="outcome" fill={colours.failed} isAnimationActive={animate()} />
      </BarChart>
    </ResponsiveContainer>
  );
}

function OutcomesChart({ stats, colours }: { stats: EmailStats; colours: ChartColours }) {
  const rows = STATUSES.map((status) => ({
    status,
    label: statusLabel(status),
    count: stats.by_status[status] ?? 0,
  }));
  const axis = { stroke: colours.grid, tick: { fill: colours.muted, fontSize: 12 } };
  return (
    <ResponsiveContainer width="100%" height="100%">
      <BarChart data={rows} layout="vertical" accessibilityLayer={false} margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid stroke={colours.grid} strokeDasharray="3 3" horizontal={false} />
        <XAxis type="number" allowDecimals={false} {...axis} />
        <YAxis type="category" dataKey="label" width={80} {...axis} />
        <Tooltip {...tooltipStyle(colours)} />
        <Bar
          dataKey="count"
          name="Emails"
          isAnimationActive={animate()}
          shape={(shape) => {
            const row = shape.payload as (typeof rows)[number] | undefined;
            return <Rectangle {...shape} fill={colours.status[row?.status ?? ""] ?? colours.muted} />;
          }}
        />
      </BarChart>
    </ResponsiveContainer>
  );
}

/** Sent and failed per hour and per day, and where every email stands; each with its numbers in text. */
export function DashboardCharts({ stats }: { stats: EmailStats }) {
  const colours = useChartColours();
  const day = totals(stats.hourly);
  const month = totals(stats.daily);
  const busiest = [...stats.daily].sort((a, b) => b.sent - a.sent)[0];
  const outcomes = STATUSES.filter((status) => (stats.by_status[status] ?? 0) > 0)
    .map((status) => `${String(stats.by_status[status] ?? 0)} ${statusLabel(status).toLowerCase()}`)
    .join(", ");
  return (
    <div className="chart-grid">
      <ChartFigure
        id="chart-hourly"
        title="Last 24 hours"
        summary={`${day.sent.toLocaleString()} sent and ${day.failed.toLocaleString()} failed in the last 24 hours, per hour.`}
        table={<SeriesTable caption="Sent and failed per hour" points={stats.hourly} label={hourLabel} />}
      >
        <SeriesChart
          points={stats.hourly}
          tick={(start) => hourFormat.format(new Date(start))}
          label={hourLabel}
          colours={colours}
        />
      </ChartFigure>
      <ChartFigure
        id="chart-outcomes"
        title="Outcomes"
        summary={`Where all ${stats.total.toLocaleString()} emails stand: ${outcomes}.`}
        table={null}
      >
        <OutcomesChart stats={stats} colours={colours} />
      </ChartFigure>
      <ChartFigure
        id="chart-daily"
        title="Last 30 days"
        summary={
          `${month.sent.toLocaleString()} sent and ${month.failed.toLocaleString()} failed in the last 30 days (UTC days)` +
          (busiest !== undefined && busiest.sent > 0
            ? `; the busiest day was ${dayLabel(busiest)} with ${busiest.sent.toLocaleString()} sent.`
            : ".")
        }
        table={<SeriesTable caption="Sent and failed per day (UTC)" points={stats.daily} label={dayLabel} />}
      >
        <SeriesChart
          points={stats.daily}
          tick={(start) => dayFormat.format(new Date(start))}
          label={dayLabel}
          colours={colours}
        />
      </ChartFigure>
    </div>
  );
}
