/**
 * The device audit a seeded machine's agent sends, drawn from its hardware profile: NICs (with the Hyper-V and WSL
 * virtual adapters real machines carry), BIOS, board, disks, memory modules and displays.
 */
import { buildDeviceAudit, DattoDeviceAudit, DattoNic } from './audit';
import type { DattoDate, DattoDevice } from './device';
import { diskBytes, GIB, Hardware, HYPER_V_OUI, linkLocal, mac, MACBOOK } from './hardware';
import type { SeededRandom } from '../../sdk/testkit/seeded-random';

/** `wsl`: a developer's machine, which carries WSL's vEthernet adapter. */
export function windowsAudit(r: SeededRandom, device: DattoDevice, hw: Hardware, dotNet: string, biosReleaseDate: DattoDate, wsl: boolean): DattoDeviceAudit {
  const memory = r.pick(hw.memoryGiB);
  const sockets = hw.form === 'Server' ? 2 : 1;
  const cpu = r.pick(hw.cpus);
  const bios = hw.bios(r);
  const disks = [disk(r, r.pick(hw.diskGB), 'Local Fixed Disk', 'C:')];
  if (hw.form === 'Server' || hw.form === 'VM') disks.push(disk(r, r.pick([500, 1000, 2000]), 'Local Fixed Disk', 'D:'));
  return buildDeviceAudit({
    portalUrl: device.portalUrl,
    webRemoteUrl: device.webRemoteUrl,
    systemInfo: {
      manufacturer: hw.manufacturer,
      model: hw.model,
      // Windows reports the installed memory less what the firmware reserves.
      totalPhysicalMemory: memory * GIB - r.between(150, 700) * 1_048_576,
      username: device.lastLoggedInUser,
      dotNetVersion: dotNet,
      totalCpuCores: r.pick(hw.cores) * sockets,
    },
    nics: windowsNics(r, device, hw, wsl),
    bios: { instance: bios, releaseDate: biosReleaseDate, serialNumber: hw.serial(r), smBiosVersion: bios },
    baseBoard: { manufacturer: hw.baseBoard.manufacturer, product: hw.baseBoard.product(r) },
    displays: hw.form === 'Laptop' ? [{ instance: 'Generic PnP Monitor', screenHeight: 1200, screenWidth: 1920 }]
      : hw.form === 'Desktop' ? [{ instance: 'Dell P2422H', screenHeight: 1080, screenWidth: 1920 }] : [],
    logicalDisks: disks,
    processors: Array.from({ length: sockets }, () => ({ name: cpu })),
    videoBoards: [{ displayAdapter: hw.video }],
    physicalMemory: memoryModules(r, memory, hw),
  });
}

/** A MacBook's audit: no .NET, no SMBIOS BIOS, one Wi-Fi interface. */
export function macAudit(r: SeededRandom, device: DattoDevice): DattoDeviceAudit {
  const wifi = MACBOOK.wifi!;
  return buildDeviceAudit({
    portalUrl: device.portalUrl,
    webRemoteUrl: device.webRemoteUrl,
    systemInfo: {
      manufacturer: MACBOOK.manufacturer,
      model: MACBOOK.model,
      totalPhysicalMemory: r.pick(MACBOOK.memoryGiB) * GIB,
      username: device.lastLoggedInUser,
      dotNetVersion: null,
      totalCpuCores: r.pick(MACBOOK.cores),
    },
    nics: [{ instance: wifi.instance, ipv4: device.intIpAddress, ipv6: linkLocal(r), macAddress: mac(r, wifi.oui), type: 'Wireless' }],
    bios: { instance: null, releaseDate: null, serialNumber: MACBOOK.serial(r), smBiosVersion: MACBOOK.bios(r) },
    baseBoard: { manufacturer: MACBOOK.manufacturer, product: MACBOOK.baseBoard.product(r) },
    displays: [{ instance: 'Built-in Liquid Retina Display', screenHeight: 1664, screenWidth: 2560 }],
    logicalDisks: [disk(r, r.pick(MACBOOK.diskGB), 'Macintosh HD', '/')],
    processors: [{ name: MACBOOK.cpus[0] }],
    videoBoards: [{ displayAdapter: MACBOOK.video }],
  });
}

function windowsNics(r: SeededRandom, device: DattoDevice, hw: Hardware, wsl: boolean): DattoNic[] {
  const nic = (instance: string, oui: string, ipv4: string | null, type: string): DattoNic => ({ instance, ipv4, ipv6: ipv4 === null ? null : linkLocal(r), macAddress: mac(r, oui), type });
  const ip = device.intIpAddress;
  const nics: DattoNic[] = [];
  if (hw.form === 'Laptop') {
    // On Wi-Fi, its wired port (if any) unplugged.
    nics.push(nic(hw.wifi!.instance, hw.wifi!.oui, ip, 'Wireless'));
    if (hw.ethernet) nics.push(nic(hw.ethernet.instance, hw.ethernet.oui, null, 'Ethernet'));
  } else if (device.description === 'Hyper-V host') {
    // The host's address lives on its virtual switch's adapter, which has a Hyper-V MAC.
    nics.push(nic(hw.ethernet!.instance, hw.ethernet!.oui, null, 'Ethernet'));
    nics.push(nic('Hyper-V Virtual Ethernet Adapter', HYPER_V_OUI, ip, 'Ethernet'));
  } else {
    nics.push(nic(hw.ethernet!.instance, hw.ethernet!.oui, ip, 'Ethernet'));
  }
  if (wsl) nics.push(nic('Hyper-V Virtual Ethernet Adapter', HYPER_V_OUI, `172.${r.between(17, 31)}.${r.between(0, 255)}.1`, 'Ethernet'));
  return nics;
}

function disk(r: SeededRandom, gb: number, description: string, diskIdentifier: string): DattoDeviceAudit['logicalDisks'][number] {
  const size = diskBytes(r, gb);
  return { description, diskIdentifier, freespace: Math.round(size * (0.12 + r.next() * 0.6)), size };
}

/** A VM's memory is not in modules. */
function memoryModules(r: SeededRandom, gib: number, hw: Hardware): DattoDeviceAudit['physicalMemory'] {
  if (hw.form === 'VM') return [];
  const count = gib >= 16 ? 2 : 1;
  const ddr5 = hw.cpus.some((c) => c.includes('13th Gen') || c.includes('Xeon(R) Silver'));
  return Array.from({ length: count }, (_, k) => ({
    module: `DIMM ${k}`,
    size: (gib / count) * GIB,
    type: ddr5 ? 'DDR5' : 'DDR4',
    speed: ddr5 ? '4800' : '3200',
    serialNumber: r.chars('0123456789ABCDEF', 8),
    partNumber: ddr5 ? `M425R${gib / count === 16 ? '2GA3BB0' : '1GB4BB0'}-CQKOD` : 'HMA81GS6DJR8N-XN',
    bank: `BANK ${k}`,
  }));
}
