import type { SeriesPoint } from "../../api/types";

interface SeriesTableProps {
  caption: string;
  points: SeriesPoint[];
  label: (point: SeriesPoint) => string;
}

/** The numbers behind a time chart, for screen readers (the chart itself is hidden from them). */
export function SeriesTable({ caption, points, label }: SeriesTableProps) {
  return (
    <table className="visually-hidden">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Period</th>
          <th scope="col">Sent</th>
          <th scope="col">Failed</th>
        </tr>
      </thead>
      <tbody>
        {points.map((point) => (
          <tr key={point.start}>
            <th scope="row">{label(point)}</th>
            <td>{point.sent}</td>
            <td>{point.failed}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
