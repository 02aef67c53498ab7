import { Link } from "react-router";
import type { EmailStats } from "../../api/types";
import { STATUSES, statusLabel } from "../../components/status";

function Card({ label, value, to }: { label: string; value: number; to: string }) {
  return (
    <li className="card stat-card">
      {/* The whole card is the link, named by its number and label ("3 Failed"). */}
      <Link to={to} className="stat-link">
        <span className="stat-value">{value.toLocaleString()}</span>
        <span className="stat-label">{label}</span>
      </Link>
    </li>
  );
}

export function StatCards({ stats }: { stats: EmailStats }) {
  return (
    <section aria-labelledby="dashboard-counts">
      <h2 id="dashboard-counts" className="visually-hidden">
        Counts
      </h2>
      <ul className="cards stat-cards">
        <Card label="Total" value={stats.total} to="/emails" />
        <Card label="Sent today" value={stats.sent_today} to="/emails?status=sent" />
        {STATUSES.map((status) => (
          <Card
            key={status}
            label={statusLabel(status)}
            value={stats.by_status[status] ?? 0}
            to={`/emails?status=${status}`}
          />
        ))}
      </ul>
    </section>
  );
}
