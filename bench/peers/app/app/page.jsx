export default function Home() {
  return <a href="/dashboard">Dashboard</a>;
}
