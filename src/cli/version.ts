/** What /version reports: Kubernetes v1.32 is the API contract (clients pick their skew from it). */
export const capstanVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+capstan',
  gitCommit: 'capstan',
  gitTreeState: 'clean',
  buildDate: '2026-11-27T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'tsc',
  platform: `${process.platform === 'win32' ? 'windows' : process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};
