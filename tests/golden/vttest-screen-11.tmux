
Origin mode test. This line should be at the bottom of the screen.




















This line should be the one above the bottom of the screen. Push <RETURN>

cursor=73,22 visible=1 alt=0 region=22-23 origin=1 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
