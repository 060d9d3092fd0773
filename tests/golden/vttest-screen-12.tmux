This line should be at the top of the screen. Push <RETURN>






















Origin mode test. This line should be at the bottom of the screen.
cursor=59,0 visible=1 alt=0 region=22-23 origin=0 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
