/** Rendered by `forbidden()`, which `auth.requireSession()` calls for a signed-in user who may not see a page. */
export default function Forbidden() {
  return (
    <main>
      <h1>Forbidden</h1>
      <p data-testid="forbidden">Your account may not open this page.</p>
      <p>
        <a href="/">Home</a>
      </p>
    </main>
  );
}
