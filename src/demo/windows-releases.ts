/** Windows releases in the demo catalog, with the build each monthly level brings (from the catalog's fixed builds). */
export interface WindowsRelease {
  product: string;
  osName: string;
  osVersion: string;
  /** Build revisions in release order, oldest first: one before the first catalog month, then each month. */
  levels: string[];
}

export const WINDOWS_RELEASES: WindowsRelease[] = [
  { product: 'Windows 11 Version 23H2 for x64-based Systems', osName: 'Windows 11 Pro', osVersion: '23H2', levels: ['22631.3880', '22631.4037', '22631.4169', '22631.6649'] },
  { product: 'Windows 11 Version 24H2 for x64-based Systems', osName: 'Windows 11 Enterprise', osVersion: '24H2', levels: ['26100.1150', '26100.1457', '26100.1742', '26100.7840'] },
  { product: 'Windows 10 Version 22H2 for x64-based Systems', osName: 'Windows 10 Pro', osVersion: '22H2', levels: ['19045.4651', '19045.4780', '19045.4894', '19045.6937'] },
  { product: 'Windows Server 2022', osName: 'Windows Server 2022 Standard', osVersion: '21H2', levels: ['20348.2582', '20348.2655', '20348.2700', '20348.4773'] },
];
