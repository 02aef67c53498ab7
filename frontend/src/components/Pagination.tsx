import { Button } from "./Button";

interface PaginationProps {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
}

export function Pagination({ page, pageSize, total, onPage }: PaginationProps) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (total <= pageSize && page === 1) return null;
  const first = (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav className="pagination" aria-label="Pages">
      <Button onClick={() => { onPage(page - 1); }} disabled={page <= 1}>
        Previous
      </Button>
      <span aria-live="polite">
        {first}–{last} of {total} · page {page} of {pages}
      </span>
      <Button onClick={() => { onPage(page + 1); }} disabled={page >= pages}>
        Next
      </Button>
    </nav>
  );
}
