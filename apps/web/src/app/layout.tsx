import type { ReactNode } from "react";
import "./styles.css";

export const metadata = { title: "Lawyers Hub", icons: { icon: "/lawyers-hub.svg" } };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
