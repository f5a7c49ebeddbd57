export function App(): React.JSX.Element {
  return (
    <main>
      <h1>Conductor</h1>
    </main>
  )
}
