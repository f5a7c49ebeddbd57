/**
 * Plain-Node composition root: the same engine as the desktop app, with the panel served on 127.0.0.1.
 * (Filled in by the control-panel work; this entry exists so the build layout is fixed from the start.)
 */
console.log('Conductor headless host: not wired yet')
