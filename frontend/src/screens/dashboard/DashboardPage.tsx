import { lazy, Suspense } from "react";
import { Link } from "react-router";
import { PageHeader } from "../../components/PageHeader";
import { Empty, Failed, Loading } from "../../components/states";
import { StatCards } from "./StatCards";
import { useEmailStats } from "./useEmailStats";

// Recharts is most of the app's code: the charts are their own chunk, fetched after the numbers show.
const DashboardCharts = lazy(() =>
  import("./DashboardCharts").then((module) => ({ default: module.DashboardCharts })),
);

export function DashboardPage() {
  const stats = useEmailStats();
  return (
    <>
      <PageHeader title="Dashboard">
        <Link className="button button-primary" to="/compose">
          Compose
        </Link>
      </PageHeader>
      {stats.isPending ? (
        <Loading label="Loading your numbers…" />
      ) : stats.isError ? (
        <Failed error={stats.error} retry={() => void stats.refetch()} />
      ) : stats.data.total === 0 ? (
        <Empty title="No email yet">
          <p>
            Counts and charts of your email appear here once you send some.{" "}
            <Link to="/compose">Compose your first email</Link>.
          </p>
        </Empty>
      ) : (
        <>
          <StatCards stats={stats.data} />
          <Suspense fallback={<Loading label="Loading the charts…" />}>
            <DashboardCharts stats={stats.data} />
          </Suspense>
        </>
      )}
    </>
  );
}
