// A page that reads no session itself: the `protect` rule for /dashboard/:path* is all that
// guards it, so it renders only for URLs the middleware let through. It shows whether that
// rule covers every URL Next routes here (encoded separators, dot segments and all).
export default async function DashboardItem({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <main>
      <h1>Item</h1>
      <p data-testid="dashboard-item">Members-only item {id}</p>
    </main>
  );
}
