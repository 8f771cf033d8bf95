package dev.align4j.peft.kernels;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive without Python: a zip (entries stored) holding the module's
 * TorchScript source ({@code code/__torch__.py}), which libtorch compiles when it loads the archive, a
 * protocol-2 pickle of the module object ({@code data.pkl}), an empty constants table and the format
 * version.
 */
public final class TorchScriptArchive {
  private TorchScriptArchive() {}

  /**
   * @param file the .pt file to write
   * @param archiveName the top folder inside the zip
   * @param className the module class defined by {@code source} (it must declare {@code training : bool})
   * @param source the TorchScript class definition
   */
  public static void write(Path file, String archiveName, String className, String source) throws IOException {
    try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
      stored(zip, archiveName + "/version", "4\n".getBytes(StandardCharsets.US_ASCII));
      stored(zip, archiveName + "/data.pkl", modulePickle(className));
      stored(zip, archiveName + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      stored(zip, archiveName + "/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }

  /**
   * The pickle of an instance of {@code __torch__.<className>} whose only attribute is {@code training
   * = True}: PROTO 2, GLOBAL, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, MARK, key, NEWTRUE, SETITEMS, BUILD,
   * STOP.
   */
  static byte[] modulePickle(String className) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x80);
    b.write(2);
    b.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
    b.write(')');
    b.write(0x81);
    b.write('}');
    b.write('(');
    byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
    b.write('X');
    b.write(key.length);
    b.write(0);
    b.write(0);
    b.write(0);
    b.writeBytes(key);
    b.write(0x88);
    b.write('u');
    b.write('b');
    b.write('.');
    return b.toByteArray();
  }
}
